import type { FastifyInstance } from 'fastify'
import { signedInHandler } from '../../../plugins/guards.ts'
import { onSelf, requireConfirmation, validating } from '../../two-factor/index.ts'
import { renderPrivacy } from '../view.ts'
import { nextExportAt, requestExport } from './service.ts'

export default async function exportsRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const page = `${deps.config.basePath}client/settings/privacy`

  // Within 24 hours of the last export the page says when the next is
  // possible (422), before any prompt: no password is asked for a refusal.
  // The handler decides again under the user's lock: parallel posts of a
  // confirmed session reach it together, and only one is queued.
  const resolve = validating(onSelf(page), async (request, reply, user) => {
    const nextAt = await nextExportAt(deps, user.id)
    return nextAt === undefined ? undefined : await renderPrivacy(request, reply, user, { exports: { nextAt } }, 422)
  })

  app.post('/client/settings/privacy/export', { config: { access: 'user' }, preHandler: requireConfirmation('privacy.export', resolve) }, signedInHandler(async (request, reply, user) => {
    const result = await requestExport(deps, user, request.ip)
    if (!result.ok) return await renderPrivacy(request, reply, user, { exports: { nextAt: result.nextAt } }, 422)
    request.session.flash = { type: 'success', text: 'privacy.exports.queued', params: { email: user.email } }
    return reply.redirect(`${page}#exports`, 303)
  }))
}
