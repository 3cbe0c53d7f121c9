import type { FastifyInstance } from 'fastify'
import { asFormBody, field } from '../../lib/forms.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import { renewSession } from '../../plugins/session.ts'
import { changeName, changePassword } from './service.ts'
import { renderProfile } from './view.ts'

export default async function profileRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const home = `${deps.config.basePath}client/profile`

  app.get('/client/profile', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    return await renderProfile(request, reply, user)
  }))

  app.post('/client/profile/name', { config: { access: 'user', personalData: 'client/profile' } }, signedInHandler(async (request, reply, user) => {
    const name = field(asFormBody(request.body), 'full_name')
    if (name === null) return await renderProfile(request, reply, user, { errors: { full_name: 'error.repeated' } }, 422)
    const result = await changeName(deps, user, name, { ip: request.ip })
    if (result.ok) {
      request.session.flash = { type: 'success', text: 'profile.nameSaved' }
      return reply.redirect(home, 303)
    }
    if ('forbidden' in result) return reply.render('errors/error', { status: 403, message: 'error.ownerName' }, 403)
    return await renderProfile(request, reply, user, { errors: result.errors, values: { full_name: name } }, 422)
  }))

  app.post('/client/profile/password', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    const body = asFormBody(request.body)
    const current = field(body, 'current_password')
    const next = field(body, 'new_password')
    const repeat = field(body, 'new_password_repeat')
    const otp = field(body, 'otp')
    if (current === null || next === null || repeat === null || otp === null) {
      return await renderProfile(request, reply, user, { errors: { current_password: 'error.repeated' } }, 422)
    }
    const result = await changePassword(deps, user, { current, next, repeat, otp }, request.session.sessionId, { ip: request.ip })
    if (!result.ok) return await renderProfile(request, reply, user, { errors: result.errors }, 422)
    await renewSession(request, reply, user.id)
    request.session.flash = { type: 'success', text: 'profile.passwordSaved' }
    return reply.redirect(home, 303)
  }))
}
