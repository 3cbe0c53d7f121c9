// Profile events (src/lib/events.ts).
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    'profile.name_changed': Bare
    'password.change_failed': Bare
    'password.changed': Bare
  }
}
export {}
