// Provider API: personal-data requests, policy versions, notifications and
// one-time sign-in links (SPEC §6), adapters over the operations the
// privacy, notifications and sso features export (the CLI's too).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sendNotification } from '../notifications/index.ts'
import { completeRequest, liftRequest, listRequests, publishPolicy, rejectRequest, startRequest, type TransitionResult } from '../privacy/index.ts'
import { createSsoLink } from '../sso/index.ts'
import { ApiRefusal, refusal, sendError } from './errors.ts'
import { decodeCursor, encodeCursor } from './paging.ts'
import { apiRoute, callerOf } from './route-options.ts'
import {
  NotificationBody, NotificationSent, PrivacyRequest, PublishBody, Published, RejectBody, RequestParams, RequestsPage, RequestsQuery, SsoBody, SsoLink
} from './schemas.ts'

type TransitionFailure = Extract<TransitionResult, { ok: false }>

function requestFailure (f: TransitionFailure, id: string): ApiRefusal {
  switch (f.reason) {
    case 'not_found': return new ApiRefusal(404, 'not_found', `no request has the id ${id}`)
    case 'wrong_status': return new ApiRefusal(409, 'wrong_status', `request ${id} is a ${f.kind} request that is ${f.status.replace('_', ' ')}; nothing was changed`)
    case 'invalid_reason': return new ApiRefusal(422, 'invalid_reason', 'reason: give a reason of 1 to 2000 characters')
    case 'owner_with_users': return new ApiRefusal(409, 'owner_with_users', `request ${id}: the user is the first user of an account that has other users; delete those users first or reject the request; nothing was changed`)
  }
}

type PublishFailure = Extract<Awaited<ReturnType<typeof publishPolicy>>, { ok: false }>
function publishFailure (f: PublishFailure): ApiRefusal {
  switch (f.reason) {
    case 'unknown_document': return new ApiRefusal(422, f.reason, 'document: use privacy-policy, user-agreement, sms-news or email-news')
    case 'invalid_version': return new ApiRefusal(422, f.reason, 'version: a whole number from 1')
    case 'version_not_higher': return new ApiRefusal(409, f.reason, `version: must be higher than ${f.highest}, the highest published`)
    case 'invalid_date': return new ApiRefusal(422, f.reason, 'effectiveAt: a date and time with its zone, such as 2026-12-01T00:00:00Z')
    case 'no_content': return new ApiRefusal(422, f.reason, 'give url, or text with en and ru')
    case 'url_and_text': return new ApiRefusal(422, f.reason, 'give url or text, not both')
    case 'invalid_url': return new ApiRefusal(422, f.reason, 'url: an http or https URL')
    case 'invalid_text': return new ApiRefusal(422, f.reason, `text.${f.language}: a non-empty plain text without control characters`)
    case 'invalid_changes': return new ApiRefusal(422, f.reason, `changes.${f.language}: a short plain text without control characters`)
  }
}

const notificationText = {
  not_found: (id: string) => new ApiRefusal(404, 'not_found', `no user has the id ${id}`),
  unknown_type: () => new ApiRefusal(422, 'unknown_type', 'type: not a notification type of the catalog'),
  invalid_subject: () => new ApiRefusal(422, 'invalid_subject', 'subject: one line of text'),
  invalid_text: () => new ApiRefusal(422, 'invalid_text', 'text: a non-empty plain text')
}

const operationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app
  const tags = ['requests']

  app.get('/requests', apiRoute({ summary: 'Personal-data requests, oldest first, or those with this status', tags, querystring: RequestsQuery, response: { 200: RequestsPage } }), async (request, reply) => {
    const { status, limit = 50, cursor } = request.query
    const after = decodeCursor('r', cursor)
    if (after === null) return sendError(reply, 400, 'invalid_cursor', 'cursor: not a cursor of this list')
    const result = await listRequests(deps, status, { limit, after })
    if (!result.ok) return sendError(reply, 400, 'invalid_request', 'status: not a request status')
    return { requests: result.requests, next: encodeCursor('r', result.next) }
  })

  const move = (path: string, summary: string, act: typeof startRequest): void => {
    app.post(`/requests/:id/${path}`, apiRoute({ summary, tags, params: RequestParams, response: { 200: PrivacyRequest } }, [404, 409]), async (request, reply) => {
      const result = await act(deps, request.params.id, callerOf(request))
      return result.ok ? result.request : refusal(reply, requestFailure(result, request.params.id))
    })
  }
  move('start', 'Received → in progress', startRequest)
  move('complete', 'Complete: a deletion depersonalizes the user, a restriction makes their data read-only', completeRequest)
  move('lift', 'Lift a completed restriction (as the CLI\'s request:lift)', liftRequest)

  app.post('/requests/:id/reject', apiRoute({ summary: 'Reject with a reason the user reads', tags, params: RequestParams, body: RejectBody, response: { 200: PrivacyRequest } }, [404, 409, 422]), async (request, reply) => {
    const result = await rejectRequest(deps, request.params.id, request.body.reason, callerOf(request))
    return result.ok ? result.request : refusal(reply, requestFailure(result, request.params.id))
  })

  // A policy is a long text in two languages: more than the API's usual body limit.
  app.post('/policies', { ...apiRoute({ summary: 'Publish a version of a policy document', tags: ['policies'], body: PublishBody, response: { 201: Published } }, [409, 422]), bodyLimit: 1024 * 1024 }, async (request, reply) => {
    const { document, version, effectiveAt, url, text, changes } = request.body
    const result = await publishPolicy(deps, { document, version, effectiveAt, url, textEn: text?.en, textRu: text?.ru, changesEn: changes?.en, changesRu: changes?.ru }, callerOf(request))
    if (!result.ok) return refusal(reply, publishFailure(result))
    return reply.code(201).send({ document: result.document, version: result.version, effectiveAt: result.effectiveAt.toISOString(), required: result.required })
  })

  app.post('/notifications', apiRoute({ summary: 'Send a notification on the channels the user chose for its type', tags: ['notifications'], body: NotificationBody, response: { 202: NotificationSent } }, [404, 422]), async (request, reply) => {
    const { userId, type, subject, text } = request.body
    const result = await sendNotification(deps, userId, type, subject, text, callerOf(request))
    if (!result.ok) return refusal(reply, notificationText[result.reason](userId))
    return reply.code(202).send({ userId: result.userId, type: result.type, channels: result.channels })
  })

  app.post('/sso', apiRoute({ summary: 'A single-use sign-in link, valid 60 s', tags: ['sso'], body: SsoBody, response: { 201: SsoLink } }, [404, 409, 422]), async (request, reply) => {
    const result = await createSsoLink(deps, request.body, callerOf(request))
    if (result.ok) return reply.code(201).send({ url: result.url, expiresAt: result.expiresAt })
    switch (result.reason) {
      case 'not_found': return sendError(reply, 404, 'not_found', `no user has the id ${request.body.userId}`)
      case 'user_disabled': return sendError(reply, 409, 'user_disabled', 'the user is disabled')
      case 'invalid_return_to': return sendError(reply, 422, 'invalid_return_to', 'returnTo: a path under the panel\'s base path')
    }
  })
}

export default operationRoutes
