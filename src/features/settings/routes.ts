import type { FastifyInstance } from 'fastify'
import { signedInHandler } from '../../plugins/guards.ts'
import { requireConfirmation, type Resolve } from '../two-factor/index.ts'
import { parseSettingsForm } from './forms.ts'
import { narrowsAccess, saveMainSettings } from './service.ts'
import { renderSettings } from './view.ts'

export default async function settingsRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const page = `${deps.config.basePath}client/settings`

  app.get('/client/settings', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    return renderSettings(request, reply, user)
  }))

  // Bad input gets the form again (422), never a prompt: the resolve finds
  // nothing to confirm (null) and the handler answers it. A save that
  // narrows access is re-confirmed, one that does not is not.
  const resolve: Resolve = async (request, _reply, user) => {
    const form = parseSettingsForm(request.body, request.ip, user.timeZone)
    return form.ok && narrowsAccess(user, form.values) ? { target: 'self', back: page } : null
  }

  app.post('/client/settings', { config: { access: 'user', personalData: 'client/settings' }, preHandler: requireConfirmation('settings.access', resolve) }, signedInHandler(async (request, reply, user) => {
    const form = parseSettingsForm(request.body, request.ip, user.timeZone)
    if (!form.ok) return renderSettings(request, reply, user, form, 422)
    await saveMainSettings(deps, user, form.values, { ip: request.ip, sessionId: request.session.sessionId })
    // The next page is in the language just chosen: it is read with the user on every request.
    request.session.flash = { type: 'success', text: 'settings.saved' }
    return reply.redirect(page, 303)
  }))
}
