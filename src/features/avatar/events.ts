// Avatar events (src/lib/events.ts): that the picture changed or went, not
// the picture (its name says nothing of the person; the image itself would).
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    'avatar.changed': Bare
    'avatar.removed': Bare
  }
}
export {}
