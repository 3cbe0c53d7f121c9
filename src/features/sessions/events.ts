// Session events (src/lib/events.ts).
declare module '../../lib/events.ts' {
  interface EventCatalog {
    'session.ended': {}
    'session.ended_others': { details: { count: number } }
  }
}
export {}
