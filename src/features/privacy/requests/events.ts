// Requests for deletion and restriction (src/lib/events.ts). The log says
// that a request was made and how it went, never more: the kind and the
// status, not the reason the provider gave (it may quote the user).
import type { PrivacyRequestKind, PrivacyRequestStatus } from '../../../db/schema.ts'

declare module '../../../lib/events.ts' {
  interface EventCatalog {
    'privacy_request.created': { details: { kind: PrivacyRequestKind } }
    /** By the provider (actor null), the user as the target. */
    'privacy_request.updated': { details: { kind: PrivacyRequestKind, status: PrivacyRequestStatus } }
  }
}
export {}
