// Phone events (src/lib/events.ts). The number is personal: scrubbed with its user.
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    'phone.set': { personal: { phone: string } }
    'phone.code_sent': { details: { purpose: string }, personal: { phone: string } }
    'phone.code_failed': { details: { purpose: string, reason: string } }
    'phone.verified': { personal: { phone: string } }
    'phone.cleared': { personal: { phone: string } }
    'phone.removed_by_provider': Bare
  }
}
export {}
