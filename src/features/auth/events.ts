// Sign-in and password events (src/lib/events.ts).
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    /** service: the external authorization service's id, when one was the first factor. */
    'login.success': { details: { method: string, service?: string } }
    'login.failed': { details: { reason: string, service?: string } }
    /** A sign-in from an IP outside the user's access list (Main settings): refused as a wrong password is. */
    'login.ip_refused': Bare
    'password.reset_requested': Bare
    'password.set_from_invite': Bare
    'password.reset': Bare
  }
}
export {}
