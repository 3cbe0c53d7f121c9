// Main settings events (src/lib/events.ts). Only the names of the settings
// changed are recorded, never their values; the IP the request came from is
// the row's own ip. A bound session's starting IP identifies a person:
// recorded as personal, scrubbed with its user.
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    /** changed: the names of the settings changed, space-separated (language time_zone ...). */
    'settings.saved': { details: { changed: string } }
    'session.ended_by_ip_list': Bare
    'session.ended_by_binding': { personal: { sessionIp: string | null } }
    'ip_list.cleared_by_provider': Bare
  }
}
export {}
