// The documents part's routes: the acceptance page and its post (reachable
// while the gate holds), one document's current text, and the decisions
// posted from /client/settings/privacy.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../../lib/current-user.ts'
import { asFormBody, type FormBody } from '../../../lib/forms.ts'
import type { MessageKey } from '../../../lib/i18n.ts'
import { safeReturnTo } from '../../../lib/paths.ts'
import { signedInHandler } from '../../../plugins/guards.ts'
import { renderPrivacy } from '../view.ts'
import { documentKind } from './documents.ts'
import { ACCEPT_PATH } from './guard.ts'
import { effectiveVersions, type PolicyVersion } from './queries.ts'
import { acceptPending, type DecisionFailure, decide, pendingDocuments } from './service.ts'
import { shownVersion } from './view.ts'

const DECISION_ERRORS: Record<DecisionFailure, MessageKey> = {
  unknown_document: 'privacy.error.unknownDocument',
  not_current: 'privacy.error.notCurrent',
  required: 'privacy.error.requiredWithdraw',
  invalid_decision: 'privacy.error.invalidDecision'
}

/** The ticked boxes: one value or several. */
function ticked (body: FormBody): Set<string> {
  const v = body.accept
  return new Set((Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string'))
}

export default async function documentsRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const base = deps.config.basePath
  const privacyPage = `${base}client/settings/privacy`
  const onward = (returnTo: unknown): string => {
    const safe = safeReturnTo(base, returnTo)
    return safe === undefined || safe.split(/[?#]/)[0] === `${base}${ACCEPT_PATH}` ? `${base}client/profile` : safe
  }

  /** The page; after a refusal, with the boxes that were ticked still ticked and a message beside the others. */
  function renderAccept (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, pending: PolicyVersion[], returnTo: string | undefined, missing?: ReadonlySet<string>, ticks: ReadonlySet<string> = new Set()): FastifyReply {
    return reply.render('settings/privacy/documents-accept', {
      documents: pending.map((v) => ({ ...shownVersion(request, user, v), missing: missing?.has(v.document) === true, ticked: ticks.has(`${v.document}:${v.version}`) })),
      returnTo: returnTo ?? '',
      refused: missing !== undefined
    }, missing === undefined ? 200 : 422)
  }

  app.get<{ Querystring: { return_to?: string } }>(`/${ACCEPT_PATH}`, { config: { access: 'user', beforePolicy: true } }, signedInHandler(async (request, reply, user) => {
    const pending = await pendingDocuments(deps.db, user.id, deps.clock.now())
    if (pending.length === 0) return reply.redirect(onward(request.query.return_to), 303)
    return renderAccept(request, reply, user, pending, safeReturnTo(base, request.query.return_to))
  }))

  app.post(`/${ACCEPT_PATH}`, { config: { access: 'user', beforePolicy: true } }, signedInHandler(async (request, reply, user) => {
    const body = asFormBody(request.body)
    const ticks = ticked(body)
    const result = await acceptPending(deps, user, ticks, request.ip)
    if (!result.ok) return renderAccept(request, reply, user, result.pending, safeReturnTo(base, body.return_to), result.missing, ticks)
    request.session.flash = { type: 'success', text: 'privacy.accept.done' }
    return reply.redirect(onward(body.return_to), 303)
  }))

  app.get<{ Params: { document: string } }>('/client/settings/privacy/documents/:document', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    const kind = documentKind(request.params.document)
    const v = kind === undefined ? undefined : (await effectiveVersions(deps.db, deps.clock.now())).get(kind.key)
    if (v === undefined) return reply.render('errors/error', { status: 404 }, 404)
    return reply.render('settings/privacy/documents-document', { document: shownVersion(request, user, v) })
  }))

  app.post('/client/settings/privacy/decisions', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    const body = asFormBody(request.body)
    const result = await decide(deps, user, { document: body.document, version: body.version, decision: body.decision }, request.ip)
    if (!result.ok) return await renderPrivacy(request, reply, user, { documents: { error: DECISION_ERRORS[result.reason] } }, 422)
    const name = request.t(documentKind(body.document)!.name)
    request.session.flash = { type: 'success', text: body.decision === 'accept' ? 'privacy.decision.acceptedFlash' : 'privacy.decision.withdrawnFlash', params: { name } }
    return reply.redirect(`${privacyPage}#documents`, 303)
  }))
}
