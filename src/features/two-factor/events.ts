// Two-factor and re-confirmation events (src/lib/events.ts).
declare module '../../lib/events.ts' {
  interface EventCatalog {
    'confirm.ok': { details: { op: string, target: string } }
    'confirm.failed': { details: { op: string, target: string } }
    'totp.enabled': {}
    'totp.disabled': {}
    'totp.reset_by_provider': {}
    'totp.recovery_codes_regenerated': {}
    'totp.recovery_code_used': {}
    'totp.failed': { details: { reason: string } }
    'totp.locked': { details: { minutes: number } }
    'totp.refused_locked': {}
    'totp.replay': {}
  }
}
export {}
