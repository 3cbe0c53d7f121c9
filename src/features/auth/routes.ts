import { csrfCookieName } from '../../plugins/csrf.ts'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { asFormBody, field } from '../../lib/forms.ts'
import { loginPathFor, safeReturnTo } from '../../lib/paths.ts'
import { siteCookieOptions } from '../../lib/site-cookies.ts'
import { sessionCookieName } from '../../plugins/session.ts'
import { countLiveRecoveryCodes, otpError, verifySecondFactor } from '../two-factor/index.ts'
import { findUserById } from './queries.ts'
import { checkPasswordLink, logIn, requestPasswordReset, setPasswordFromLink } from './service.ts'
import { clientOf as client, completeSignIn, pendingSecondStep } from './sign-in.ts'

export default async function authRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const base = deps.config.basePath
  const home = `${base}client/profile`

  app.get('/', { config: { access: 'public' } }, async (request, reply) => {
    return reply.redirect(request.user === null ? `${base}login` : home, 303)
  })

  // ?signed_out=1 and ?ended=1 say why the login page is shown: fixed
  // messages only (the session that would carry a flash is gone by then).
  app.get<{ Querystring: { return_to?: string, signed_out?: string, ended?: string } }>('/login', { config: { access: 'public' } }, async (request, reply) => {
    if (request.user !== null) return reply.redirect(home, 303)
    const notice = request.query.signed_out === '1' ? 'login.signedOut' : request.query.ended === '1' ? 'login.sessionEnded' : undefined
    return reply.render('auth/login', { email: '', returnTo: safeReturnTo(base, request.query.return_to) ?? '', notice, here: request.url })
  })

  app.post('/login', { config: { access: 'public' } }, async (request, reply) => {
    const body = asFormBody(request.body)
    const email = field(body, 'email')
    const password = field(body, 'password')
    const returnTo = safeReturnTo(base, body.return_to)
    const result = email === null || password === null
      ? { ok: false as const }
      : await logIn(deps, email, password, client(request))
    if (!result.ok) {
      return reply.render('auth/login', { email: email ?? '', returnTo: returnTo ?? '', error: 'login.failed', here: returnTo === undefined ? `${base}login` : loginPathFor(base, returnTo) }, 422)
    }
    return await completeSignIn(request, reply, result.user, 'password', { returnTo })
  })

  app.get('/login/two-factor', { config: { access: 'public' } }, async (request, reply) => {
    if (pendingSecondStep(request) === undefined) return reply.redirect(`${base}login`, 303)
    return reply.render('auth/two-factor', {})
  })

  app.post('/login/two-factor', { config: { access: 'public' } }, async (request, reply) => {
    const p = pendingSecondStep(request)
    if (p === undefined) return reply.redirect(`${base}login`, 303)
    const code = field(asFormBody(request.body), 'code')
    if (code === null) return reply.render('auth/two-factor', { error: 'error.repeated' }, 422)
    const result = await verifySecondFactor(deps, p.userId, code, { allowRecovery: true, ip: request.ip })
    if (!result.ok) return reply.render('auth/two-factor', { error: otpError(result.reason) }, 422)
    const user = await findUserById(deps.db, p.userId)
    if (user === undefined || user.status !== 'active') return reply.redirect(`${base}login`, 303)
    // A recovery code signs in once: say how many are left and where to make new ones.
    const flash = result.method === 'recovery' ? { type: 'info' as const, text: 'login.recoveryUsed' as const, params: { count: String(await countLiveRecoveryCodes(deps.db, user.id)) } } : undefined
    return await completeSignIn(request, reply, user, result.method, { returnTo: p.returnTo, flash, service: p.service })
  })

  app.post('/logout', { config: { access: 'public', beforePolicy: true } }, async (request, reply) => {
    await request.session.destroy()
    // With the attributes they were set with: a Partitioned cookie is cleared only by a Partitioned Set-Cookie.
    reply.clearCookie(sessionCookieName(deps), { path: base, ...siteCookieOptions(deps.config) })
    reply.clearCookie(csrfCookieName(deps.config), { path: base, ...siteCookieOptions(deps.config) })
    return reply.redirect(`${base}login?signed_out=1`, 303)
  })

  app.get('/password/forgot', { config: { access: 'public' } }, async (request, reply) => {
    return reply.render('auth/forgot', { email: '' })
  })

  app.post('/password/forgot', { config: { access: 'public' } }, async (request, reply) => {
    const email = field(asFormBody(request.body), 'email')
    if (email === null || email.trim() === '') {
      return reply.render('auth/forgot', { email: email ?? '', error: email === null ? 'error.repeated' : 'error.required' }, 422)
    }
    await requestPasswordReset(deps, email, client(request))
    request.session.flash = { type: 'info', text: 'forgot.sent' }
    return reply.redirect(`${base}login`, 303)
  })

  app.get<{ Params: { token: string } }>('/password/reset/:token', { config: { access: 'public' } }, async (request, reply) => {
    return renderResetForm(reply, await checkPasswordLink(deps, request.params.token), request.params.token)
  })

  app.post<{ Params: { token: string } }>('/password/reset/:token', { config: { access: 'public' } }, async (request, reply) => {
    const body = asFormBody(request.body)
    const password = field(body, 'password')
    const repeat = field(body, 'password_repeat')
    const { token } = request.params
    if (password === null || repeat === null) {
      return renderResetForm(reply, await checkPasswordLink(deps, token), token, { password: 'error.repeated' })
    }
    const result = await setPasswordFromLink(deps, token, password, repeat, client(request))
    if (result.ok) {
      request.session.flash = { type: 'success', text: 'reset.done' }
      return reply.redirect(`${base}login`, 303)
    }
    if (result.reason === 'invalid_link') return renderResetForm(reply, undefined, token)
    return renderResetForm(reply, await checkPasswordLink(deps, token), token, result.errors)
  })
}

function renderResetForm (reply: FastifyReply, link: Awaited<ReturnType<typeof checkPasswordLink>>, token: string, errors?: Record<string, string>): FastifyReply {
  if (link === undefined) return reply.render('auth/reset-invalid', {}, 404)
  return reply.render('auth/reset', { token, purpose: link.purpose, email: link.email, errors: errors ?? {} }, errors === undefined ? 200 : 422)
}
