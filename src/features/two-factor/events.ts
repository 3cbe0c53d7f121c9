// Two-factor and re-confirmation events (src/lib/events.ts).
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    'confirm.ok': { details: { op: string, target: string } }
    'confirm.failed': { details: { op: string, target: string } }
    'totp.enabled': Bare
    'totp.disabled': Bare
    'totp.reset_by_provider': Bare
    'totp.recovery_codes_regenerated': Bare
    'totp.recovery_code_used': Bare
    'totp.failed': { details: { reason: string } }
    'totp.locked': { details: { minutes: number } }
    'totp.refused_locked': Bare
    'totp.replay': Bare
  }
}
export {}
