// Session events (src/lib/events.ts).
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    'session.ended': Bare
    'session.ended_others': { details: { count: number } }
  }
}
export {}
