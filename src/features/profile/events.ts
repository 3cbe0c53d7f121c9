// Profile events (src/lib/events.ts).
declare module '../../lib/events.ts' {
  interface EventCatalog {
    'profile.name_changed': {}
    'password.change_failed': {}
    'password.changed': {}
  }
}
export {}
