import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import { asFormBody, field, type FormBody } from '../../lib/forms.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { formatPhone } from '../../lib/phone.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import type { Flash } from '../../types.ts'
import { renderProfile } from '../profile/index.ts'
import { codeField, onSelf, requireConfirmation, validating } from '../two-factor/index.ts'
import { codeInputError, confirmEdit, confirmVerification, parsePhoneInput, savePhone, sendEditCode, sendVerificationCode, type PhoneResult } from './service.ts'

export default async function phoneRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const home = `${deps.config.basePath}client/profile`
  // Every phone change is re-confirmed (password, or One-time password with 2FA);
  // a code typed in the form is asked for again on the prompt, never carried.
  // A form with bad input gets the profile again (422) before any prompt,
  // checked by what the handler and the service use.
  const confirmedIf = (badInput: (body: FormBody) => Record<string, MessageKey> | undefined) => ({
    // Refused while the user's personal data is restricted (privacy feature), before any prompt.
    config: { access: 'user' as const, personalData: 'client/profile' },
    preHandler: requireConfirmation('phone', validating(onSelf(`${home}#phone`), async (request, reply, user) => {
      const body = asFormBody(request.body)
      const errors = badInput(body)
      return errors === undefined ? undefined : await renderProfile(request, reply, user, { errors, values: typeof body.phone === 'string' ? { phone: body.phone } : {} }, 422)
    }), [codeField('field.code')])
  })
  const confirmed = confirmedIf(() => undefined)
  const withPhone = confirmedIf((body) => {
    const phone = field(body, 'phone')
    const parsed = phone === null ? { ok: false as const, error: 'error.repeated' as const } : parsePhoneInput(phone, deps.config.phoneDefaultRegion)
    return parsed.ok ? undefined : { phone: parsed.error }
  })
  const withCode = confirmedIf((body) => {
    const code = field(body, 'code')
    const error = code === null ? 'error.repeated' : codeInputError(code)
    return error === undefined ? undefined : { code: error }
  })

  async function answer (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, result: PhoneResult, success: Flash['text'], values: Record<string, string> = {}): Promise<FastifyReply> {
    if (!result.ok) return await renderProfile(request, reply, user, { errors: { [result.field]: result.error }, values }, 422)
    request.session.flash = { type: success === 'profile.phoneCodeSent' || success === 'profile.phoneEditCodeSent' ? 'info' : 'success', text: success, params: result.phone === undefined ? undefined : { phone: formatPhone(result.phone) } }
    return reply.redirect(home, 303) // no anchor: the page would jump past the message
  }

  app.post('/client/profile/phone', withPhone, signedInHandler(async (request, reply, user) => {
    const phone = field(asFormBody(request.body), 'phone')
    if (phone === null) return await renderProfile(request, reply, user, { errors: { phone: 'error.repeated' } }, 422)
    return await answer(request, reply, user, await savePhone(deps, user, phone, { ip: request.ip }), 'profile.phoneSaved', { phone })
  }))

  app.post('/client/profile/phone/verification', confirmed, signedInHandler(async (request, reply, user) => {
    return await answer(request, reply, user, await sendVerificationCode(deps, user, { ip: request.ip }), 'profile.phoneCodeSent')
  }))

  app.post('/client/profile/phone/verification/check', withCode, signedInHandler(async (request, reply, user) => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return await renderProfile(request, reply, user, { errors: { code: 'error.repeated' } }, 422)
    return await answer(request, reply, user, await confirmVerification(deps, user, code, { ip: request.ip }), 'profile.phoneVerifiedDone')
  }))

  app.post('/client/profile/phone/edit', confirmed, signedInHandler(async (request, reply, user) => {
    return await answer(request, reply, user, await sendEditCode(deps, user, { ip: request.ip }), 'profile.phoneEditCodeSent')
  }))

  app.post('/client/profile/phone/edit/check', withCode, signedInHandler(async (request, reply, user) => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return await renderProfile(request, reply, user, { errors: { code: 'error.repeated' } }, 422)
    return await answer(request, reply, user, await confirmEdit(deps, user, code, { ip: request.ip }), 'profile.phoneCleared')
  }))
}
