// Privacy: requests for deletion and for restriction of personal data (SPEC
// §4.3). The user makes them on /client/settings/privacy after
// re-confirmation; the provider handles them (service.ts, commands.ts);
// restrictionGuard keeps a restricted user's profile read-only.
import { lazyRoutes } from '../../../lib/feature.ts'
import type { MessageKey } from '../../../lib/i18n.ts'
import { formatDateTime } from '../../../lib/format.ts'
import type { ExportSection } from '../../../lib/personal-data.ts'
import type { PageSection, PrivacyPart } from '../part.ts'
import { requestCommands } from './commands.ts'
import { restrictionGuard } from './guard.ts'
import { KINDS } from './service.ts'
import type { PrivacyRequestKind } from '../../../db/schema.ts'

export { completeRequest, liftRequest, listRequests, rejectRequest, startRequest, type ProviderRequest, type TransitionResult } from './service.ts'

/** A refused request: the kind whose button it was, and why. */
export interface RequestsState {
  error?: { kind: PrivacyRequestKind, message: MessageKey }
}

/** The export's section: each of the user's requests with every status it went through. */
const requestsExport: ExportSection = {
  name: 'requests',
  query: (db, subject) => db.selectFrom('privacy_request_events as e')
    .innerJoin('privacy_requests as r', 'r.id', 'e.request_id')
    .select(['r.id as request', 'r.kind', 'r.created_at', 'e.status', 'e.reason', 'e.by', 'e.at'])
    .where('r.user_id', '=', subject.id)
    .orderBy('r.id').orderBy('e.id')
}

export const requestsPart: PrivacyPart = {
  routes: lazyRoutes(async () => await import('./routes.ts')),
  operations: {
    'privacy.request-deletion': 'confirm.op.requestDeletion',
    'privacy.request-restriction': 'confirm.op.requestRestriction'
  },
  guards: [restrictionGuard],
  events: {
    'privacy_request.created': 'event.privacy_request.created',
    'privacy_request.updated': 'event.privacy_request.updated'
  },
  commands: requestCommands,
  personalData: { export: [requestsExport] }
}

/** The user's own requests (never another user's of the account), newest first, each with its history. */
export const requestsSection: PageSection<RequestsState> = async (request, user, state = {}) => {
  const { db } = request.server.deps
  const rows = await db.selectFrom('privacy_requests').select(['id', 'kind', 'status', 'reason', 'created_at'])
    .where('user_id', '=', user.id).orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  const events = rows.length === 0
    ? []
    : await db.selectFrom('privacy_request_events').select(['request_id', 'status', 'reason', 'by', 'at'])
      .where('request_id', 'in', rows.map((r) => r.id)).orderBy('at').orderBy('id').execute()
  const when = (at: Date): string => formatDateTime(at, request.lang, user.timeZone)
  const items = rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    made: when(r.created_at),
    history: events.filter((e) => e.request_id === r.id).map((e) => ({ status: e.status, reason: e.reason, by: e.by, at: when(e.at) }))
  }))
  const open = (kind: PrivacyRequestKind): boolean => rows.some((r) => r.kind === kind && (r.status === 'received' || r.status === 'in_progress'))
  return {
    kinds: KINDS.map((kind) => ({ kind, open: open(kind), error: state.error?.kind === kind ? state.error.message : undefined })),
    items
  }
}
