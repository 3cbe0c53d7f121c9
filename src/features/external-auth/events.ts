// External authorization service events (src/lib/events.ts). `service` is
// the service's id; the identity's name or email as the service gave it is a
// personal value.
declare module '../../lib/events.ts' {
  interface EventCatalog {
    /** The user bound an identity at a service. */
    'external_auth.bound': { details: { service: string }, personal: { identity: string | null } }
    /** The identity is bound to another user: refused. */
    'external_auth.bind_refused': { details: { service: string } }
    /** The user (or the provider: details.by) unbound the service. */
    'external_auth.unbound': { details: { service: string, by?: 'provider' } }
  }
}
export {}
