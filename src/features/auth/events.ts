// Sign-in and password events (src/lib/events.ts).
declare module '../../lib/events.ts' {
  interface EventCatalog {
    'login.success': { details: { method: string } }
    'login.failed': { details: { reason: string } }
    'password.reset_requested': {}
    'password.set_from_invite': {}
    'password.reset': {}
  }
}
export {}
