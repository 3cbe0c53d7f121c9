import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import { asFormBody, field } from '../../lib/forms.ts'
import { formatPhone } from '../../lib/phone.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import type { Flash } from '../../types.ts'
import { renderProfile } from '../profile/index.ts'
import { codeField, onSelf, requireConfirmation } from '../two-factor/index.ts'
import { confirmEdit, confirmVerification, savePhone, sendEditCode, sendVerificationCode, type PhoneResult } from './service.ts'

export default async function phoneRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const home = `${deps.config.basePath}client/profile`
  // Every phone change is re-confirmed (password, or One-time password with 2FA);
  // a code typed in the form is asked for again on the prompt, never carried.
  const confirmed = { config: { access: 'user' as const }, preHandler: requireConfirmation('phone', onSelf(`${home}#phone`), [codeField('field.code')]) }

  async function answer (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, result: PhoneResult, success: Flash['text'], values: Record<string, string> = {}): Promise<FastifyReply> {
    if (!result.ok) return await renderProfile(request, reply, user, { errors: { [result.field]: result.error }, values }, 422)
    request.session.flash = { type: success === 'profile.phoneCodeSent' || success === 'profile.phoneEditCodeSent' ? 'info' : 'success', text: success, params: result.phone === undefined ? undefined : { phone: formatPhone(result.phone) } }
    return reply.redirect(home, 303) // no anchor: the page would jump past the message
  }

  app.post('/client/profile/phone', confirmed, signedInHandler(async (request, reply, user) => {
    const phone = field(asFormBody(request.body), 'phone')
    if (phone === null) return await renderProfile(request, reply, user, { errors: { phone: 'error.repeated' } }, 422)
    return await answer(request, reply, user, await savePhone(deps, user, phone, { ip: request.ip }), 'profile.phoneSaved', { phone })
  }))

  app.post('/client/profile/phone/verification', confirmed, signedInHandler(async (request, reply, user) => {
    return await answer(request, reply, user, await sendVerificationCode(deps, user, { ip: request.ip }), 'profile.phoneCodeSent')
  }))

  app.post('/client/profile/phone/verification/check', confirmed, signedInHandler(async (request, reply, user) => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return await renderProfile(request, reply, user, { errors: { code: 'error.repeated' } }, 422)
    return await answer(request, reply, user, await confirmVerification(deps, user, code, { ip: request.ip }), 'profile.phoneVerifiedDone')
  }))

  app.post('/client/profile/phone/edit', confirmed, signedInHandler(async (request, reply, user) => {
    return await answer(request, reply, user, await sendEditCode(deps, user, { ip: request.ip }), 'profile.phoneEditCodeSent')
  }))

  app.post('/client/profile/phone/edit/check', confirmed, signedInHandler(async (request, reply, user) => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return await renderProfile(request, reply, user, { errors: { code: 'error.repeated' } }, 422)
    return await answer(request, reply, user, await confirmEdit(deps, user, code, { ip: request.ip }), 'profile.phoneCleared')
  }))
}
