// Decisions on policy documents (src/lib/events.ts): which document and
// version; the IP is the row's own.
declare module '../../../lib/events.ts' {
  interface EventCatalog {
    'policy.accepted': { details: { document: string, version: number } }
    'policy.withdrawn': { details: { document: string, version: number } }
    /** The provider published a version (CLI or API; the API's client IP with it). */
    'policy.published': { details: { document: string, version: number, by: 'provider' } }
  }
}
export {}
