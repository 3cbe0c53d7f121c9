// Types for on-exit-leak-free (pino's own exit hook, which ships none):
// the part src/app.ts uses.
declare module 'on-exit-leak-free' {
  /** Calls fn(obj) when the process exits, as long as obj is alive (held weakly). */
  export function register<T extends object> (obj: T, fn: (obj: T, event: 'exit' | 'beforeExit') => void): void
  export function unregister (obj: object): void
}
