// The page /client/settings/privacy: one section per part, each loaded by
// its part; a refused post gives its part's state back (values, messages).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import { type DocumentsState, documentsSection } from './documents/index.ts'
import { type ExportsState, exportsSection } from './exports/index.ts'
import { type RequestsState, requestsSection } from './requests/index.ts'

export interface PrivacyState {
  documents?: DocumentsState
  exports?: ExportsState
  requests?: RequestsState
}

export async function renderPrivacy (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, state: PrivacyState = {}, status = 200): Promise<FastifyReply> {
  const [documents, exports, requests] = await Promise.all([
    documentsSection(request, user, state.documents),
    exportsSection(request, user, state.exports),
    requestsSection(request, user, state.requests)
  ])
  return reply.render('settings/privacy', { documents, exports, requests }, status)
}
