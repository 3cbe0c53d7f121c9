// Users, permissions and account events (src/lib/events.ts). Addresses and
// names are personal: scrubbed with the user they belong to.
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    'account.created': { details: { by: 'provider' } }
    'user.invitation_resent': Bare
    'user.created': { details: { invited: boolean, fullAccess: boolean, permissions: string }, personal: { email: string } }
    'user.updated': { details: { by?: 'provider', nameChanged: boolean, phoneChanged?: boolean } }
    'user.email_change_requested': { personal: { from: string, to: string } }
    'user.email_changed': { details: { by?: 'provider' }, personal: { from?: string, to: string } }
    'user.address_use_refused': { details: { kind: 'add' | 'change' } }
    'user.disabled': { details: { by?: 'provider' }, personal?: { email: string } }
    'user.enabled': { details: { by?: 'provider' }, personal?: { email: string } }
    'user.deleted': { details: { userId: string }, personal: { email: string, name: string } }
    'permissions.changed': { details: { enabled?: string, disabled?: string } }
    'permissions.full_access': { details: { fullAccess: boolean } }
  }
}
export {}
