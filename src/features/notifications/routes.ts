import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { labelIn } from '../../lib/permissions.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import { type Matrix, type MatrixError, matrixOf, parseMatrixForm, saveMatrix, unsubscribe, unsubscribeTarget, withPosted } from './service.ts'

const errorText: Record<MatrixError, MessageKey> = {
  unknown_channel: 'notifications.error.unknownChannel',
  unknown_type: 'notifications.error.unknownType',
  repeated: 'notifications.error.repeated',
  locked: 'notifications.error.locked',
  unreachable: 'notifications.error.unreachable'
}

function renderMatrix (request: FastifyRequest, reply: FastifyReply, matrix: Matrix, error?: MatrixError): FastifyReply {
  return reply.render('settings/notifications', {
    reach: matrix.reach,
    rows: matrix.rows.map((r) => ({ key: r.type.key, label: labelIn(r.type.label, request.lang), marketing: r.type.marketing, cells: r.cells })),
    error: error === undefined ? undefined : errorText[error]
  }, error === undefined ? 200 : 422)
}

export default async function notificationsRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const page = `${deps.config.basePath}client/settings/notifications`

  app.get('/client/settings/notifications', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    return renderMatrix(request, reply, await matrixOf(deps, user))
  }))

  app.post('/client/settings/notifications', { config: { access: 'user' } }, signedInHandler(async (request, reply, user: CurrentUser) => {
    const matrix = await matrixOf(deps, user)
    const form = parseMatrixForm(matrix, request.body)
    if (!form.ok) return renderMatrix(request, reply, withPosted(matrix, form.checked), form.error)
    await saveMatrix(deps, user, matrix, form.checked, request.ip)
    request.session.flash = { type: 'success', text: 'notifications.saved' }
    return reply.redirect(page, 303)
  }))

  await app.register(unsubscribeRoutes)
}

/**
 * The one-click unsubscribe. The token is the proof (SECURITY.md: signed,
 * long-lived, idempotent): no session, no CSRF token, so that a mail
 * provider's POST (RFC 8058: body "List-Unsubscribe=One-Click", no cookies)
 * works. RFC 8058 has that body sent as multipart/form-data (SHOULD) or
 * url-encoded: neither is read, so in this scope of its own a multipart body
 * is taken up to the route's limit and dropped.
 */
async function unsubscribeRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  if (!app.hasContentTypeParser('multipart/form-data')) {
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_request, _body, done) => { done(null, {}) })
  }
  const config = { access: 'public', kind: 'link' } as const
  const noStore = (reply: FastifyReply): FastifyReply => reply.header('Cache-Control', 'no-store').header('Referrer-Policy', 'no-referrer')

  app.get<{ Params: { token: string } }>('/unsubscribe/:token', { config }, async (request, reply) => {
    const target = await unsubscribeTarget(deps, request.params.token)
    if (target === undefined) return noStore(reply).render('unsubscribe', { invalid: true }, 404)
    return noStore(reply).render('unsubscribe', { token: request.params.token, type: labelIn(target.type.label, request.lang), email: target.email, done: false })
  })

  app.post<{ Params: { token: string } }>('/unsubscribe/:token', { config }, async (request, reply) => {
    const target = await unsubscribe(deps, request.params.token, request.ip)
    if (target === undefined) return noStore(reply).render('unsubscribe', { invalid: true }, 404)
    return noStore(reply).render('unsubscribe', { type: labelIn(target.type.label, request.lang), email: target.email, done: true })
  })
}
