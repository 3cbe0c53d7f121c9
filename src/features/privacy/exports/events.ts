// Exports events (src/lib/events.ts): that an export was requested and that
// it was emailed. Neither carries the address or the file: the row's ids
// and time say whose and when.
import type { Bare } from '../../../lib/events.ts'

declare module '../../../lib/events.ts' {
  interface EventCatalog {
    'personal_data.export_requested': Bare
    'personal_data.exported': Bare
  }
}
export {}
