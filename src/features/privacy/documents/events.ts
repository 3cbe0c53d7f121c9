// Decisions on policy documents (src/lib/events.ts): which document and
// version; the IP is the row's own.
declare module '../../../lib/events.ts' {
  interface EventCatalog {
    'policy.accepted': { details: { document: string, version: number } }
    'policy.withdrawn': { details: { document: string, version: number } }
  }
}
export {}
