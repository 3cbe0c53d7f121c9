import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { asFormBody, field } from '../../lib/forms.ts'
import { formatPhone } from '../../lib/phone.ts'
import type { Flash } from '../../types.ts'
import { renderProfile } from '../profile/view.ts'
import { codeField, onSelf, requireConfirmation } from '../two-factor/confirm.ts'
import { confirmEdit, confirmVerification, savePhone, sendEditCode, sendVerificationCode, type PhoneResult } from './service.ts'

export default async function phoneRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const home = `${deps.config.basePath}client/profile`
  // Every phone change is re-confirmed (password, or One-time password with 2FA);
  // a code typed in the form is asked for again on the prompt, never carried.
  const user = { config: { access: 'user' as const }, preHandler: requireConfirmation('phone', onSelf(`${home}#phone`), [codeField('field.code')]) }

  async function answer (request: FastifyRequest, reply: FastifyReply, result: PhoneResult, success: Flash['text'], values: Record<string, string> = {}): Promise<FastifyReply> {
    if (!result.ok) return await renderProfile(request, reply, { errors: { [result.field]: result.error }, values }, 422)
    request.session.flash = { type: success === 'profile.phoneCodeSent' || success === 'profile.phoneEditCodeSent' ? 'info' : 'success', text: success, params: result.phone === undefined ? undefined : { phone: formatPhone(result.phone) } }
    return reply.redirect(`${home}#phone`, 303)
  }

  app.post('/client/profile/phone', user, async (request, reply) => {
    const phone = field(asFormBody(request.body), 'phone')
    if (phone === null) return await renderProfile(request, reply, { errors: { phone: 'error.repeated' } }, 422)
    return await answer(request, reply, await savePhone(deps, request.user!, phone, { ip: request.ip }), 'profile.phoneSaved', { phone })
  })

  app.post('/client/profile/phone/verification', user, async (request, reply) => {
    return await answer(request, reply, await sendVerificationCode(deps, request.user!, { ip: request.ip }), 'profile.phoneCodeSent')
  })

  app.post('/client/profile/phone/verification/check', user, async (request, reply) => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return await renderProfile(request, reply, { errors: { code: 'error.repeated' } }, 422)
    return await answer(request, reply, await confirmVerification(deps, request.user!, code, { ip: request.ip }), 'profile.phoneVerifiedDone')
  })

  app.post('/client/profile/phone/edit', user, async (request, reply) => {
    return await answer(request, reply, await sendEditCode(deps, request.user!, { ip: request.ip }), 'profile.phoneEditCodeSent')
  })

  app.post('/client/profile/phone/edit/check', user, async (request, reply) => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return await renderProfile(request, reply, { errors: { code: 'error.repeated' } }, 422)
    return await answer(request, reply, await confirmEdit(deps, request.user!, code, { ip: request.ip }), 'profile.phoneCleared')
  })
}
