import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import type { CurrentUser } from '../../lib/current-user.ts'
import { asFormBody, field } from '../../lib/forms.ts'
import { appNameIn } from '../../lib/i18n.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { codeField, onSelf, requireConfirmation, validating } from './confirm.ts'
import { countLiveRecoveryCodes } from './queries.ts'
import { formatRecoveryCode, newSecret, openSecret, sealSecret, totpFor } from './otp.ts'
import { checkSetupCode, disableTwoFactor, enableTwoFactor, liveRecoveryCodes, regenerateRecoveryCodes } from './service.ts'

export default async function twoFactorRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const base = deps.config.basePath
  const page = `${base}client/settings/two-factor`
  const USER = { config: { access: 'user' as const } }

  async function setupPage (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, error?: string, status = 200): Promise<FastifyReply> {
    request.session.totpSetup ??= sealSecret(deps, newSecret())
    const secret = openSecret(deps, request.session.totpSetup)
    const issuer = appNameIn(deps.config, request.lang)
    const totp = totpFor(secret, user.email, issuer)
    const uri = totp.toString()
    // margin 4: the quiet zone of 4 modules the QR standard asks for (with 1, some phone cameras miss the code).
    const qr = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 })
    return reply.render('settings/two-factor-setup', { qr, uri, key: secret.replace(/(.{4})(?=.)/g, '$1 '), account: user.email, issuer, error }, status)
  }

  async function managePage (reply: FastifyReply, user: CurrentUser, errors: Record<string, string> = {}, status = 200): Promise<FastifyReply> {
    return reply.render('settings/two-factor-manage', { codesLeft: await countLiveRecoveryCodes(deps.db, user.id), errors }, status)
  }

  function codesPage (reply: FastifyReply, codes: string[]): FastifyReply {
    reply.header('cache-control', 'no-store')
    return reply.render('settings/recovery-codes', { codes: codes.map(formatRecoveryCode), raw: codes })
  }

  app.get('/client/settings/two-factor', USER, signedInHandler(async (request, reply, user) => {
    return user.twoFactor ? await managePage(reply, user) : await setupPage(request, reply, user)
  }))

  // The setup page's code: repeated, no key shown, not 6 digits or not the key's.
  const setupCodeError = (request: FastifyRequest): MessageKey | undefined => {
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return 'error.repeated'
    const sealed = request.session.totpSetup
    if (sealed === undefined) return 'error.otpWrong'
    const checked = checkSetupCode(deps, sealed, code, deps.clock.now())
    return checked.ok ? undefined : checked.error
  }

  // Turning 2FA on is re-confirmed with the password; the One-time password
  // typed on the setup page is checked first (a wrong one gets the page
  // again, never the prompt) and asked for again on the prompt.
  const onSetup = validating(onSelf(page), async (request, reply, user) => {
    const error = user.twoFactor ? undefined : setupCodeError(request)
    return error === undefined ? undefined : await setupPage(request, reply, user, error, 422)
  })
  app.post('/client/settings/two-factor', { ...USER, preHandler: requireConfirmation('two-factor.enable', onSetup, [codeField('field.otp')]) }, signedInHandler(async (request, reply, user) => {
    if (user.twoFactor) return reply.redirect(page, 303)
    const code = field(asFormBody(request.body), 'code')
    const sealed = request.session.totpSetup
    if (code === null || sealed === undefined) return await setupPage(request, reply, user, setupCodeError(request) ?? 'error.otpWrong', 422)
    const result = await enableTwoFactor(deps, user, sealed, code, { ip: request.ip })
    if (!result.ok) return await setupPage(request, reply, user, result.error, 422)
    delete request.session.totpSetup
    return codesPage(reply, result.codes)
  }))

  app.post('/client/settings/two-factor/disable', USER, signedInHandler(async (request, reply, user) => {
    const body = asFormBody(request.body)
    const password = field(body, 'password')
    const code = field(body, 'code')
    if (password === null || code === null) return await managePage(reply, user, { code: 'error.repeated' }, 422)
    const result = await disableTwoFactor(deps, user, password, code, { ip: request.ip })
    if (!result.ok) return await managePage(reply, user, result.errors, 422)
    request.session.flash = { type: 'success', text: 'twoFactor.disabled' }
    return reply.redirect(`${base}client/settings`, 303)
  }))

  app.post('/client/settings/two-factor/recovery-codes', { ...USER, preHandler: requireConfirmation('two-factor.recovery-codes', onSelf(page)) }, signedInHandler(async (request, reply, user) => {
    if (!user.twoFactor) return reply.redirect(page, 303)
    return codesPage(reply, await regenerateRecoveryCodes(deps, user, { ip: request.ip }))
  }))

  // The codes just shown, as a text file: only codes that are the user's and unused.
  app.post('/client/settings/two-factor/recovery-codes.txt', USER, signedInHandler(async (request, reply, user) => {
    const raw = asFormBody(request.body).code
    const posted = (Array.isArray(raw) ? raw : [raw]).filter((c): c is string => typeof c === 'string')
    const codes = await liveRecoveryCodes(deps, user.id, posted)
    if (codes.length === 0) return reply.render('errors/error', { status: 404 }, 404)
    const text = `${request.t('twoFactor.fileHeader', { app: appNameIn(deps.config, request.lang), email: user.email })}\r\n\r\n${codes.map(formatRecoveryCode).join('\r\n')}\r\n`
    return reply.header('cache-control', 'no-store').header('content-disposition', 'attachment; filename="recovery-codes.txt"').type('text/plain; charset=utf-8').send(text)
  }))
}
