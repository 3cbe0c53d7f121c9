// The SSO handoff's page (SPEC §6): GET /sso?token=… shows one button and
// changes nothing; its POST uses the link up and signs the user in.
//
// Login CSRF: the token proves who is signing in, not who asked for it, so
// an attacker's own link posted from another site must not sign a victim's
// browser into the attacker's account. The POST is an ordinary page form
// (route kind 'page'): it carries the CSRF token the GET page rendered,
// bound to this browser's signed SameSite=Lax secret cookie, as the login
// form does before any session exists. A cross-site form has no such token
// (and the browser sends no Lax cookie with it): 403, the link untouched.
// What remains is a person pressing the button on our own page for a link
// somebody else gave them: the page names the account it signs into.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { asFormBody, field } from '../../lib/forms.ts'
import { clientOf, completeSignIn } from '../auth/index.ts'
import { ssoLinkTarget, useSsoLink } from './service.ts'

/** The link is a secret: no Referer carries it anywhere, no cache keeps the page. */
function keepSecret (reply: FastifyReply): FastifyReply {
  return reply.header('Referrer-Policy', 'no-referrer').header('Cache-Control', 'no-store')
}

export default async function ssoRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  // beforePolicy: like the login form, a sign-in is not held back by the policy of whoever this browser was signed in as.
  const config = { access: 'public', beforePolicy: true } as const

  app.get<{ Querystring: { token?: unknown } }>('/sso', { config }, async (request, reply) => {
    const token = request.query.token
    const target = await ssoLinkTarget(deps, token)
    if (target === undefined) return keepSecret(reply).render('sso/handoff', { invalid: true, signedIn: request.user !== null }, 404)
    return keepSecret(reply).render('sso/handoff', { token, email: target.email, signedInAs: request.user?.email })
  })

  app.post('/sso', { config }, async (request, reply) => {
    const token = field(asFormBody(request.body), 'token')
    const result = await useSsoLink(deps, token, clientOf(request))
    if (!result.ok) return keepSecret(reply).render('sso/handoff', { invalid: true, signedIn: request.user !== null }, result.reason === 'disabled' ? 403 : 404)
    return await completeSignIn(request, keepSecret(reply), result.user, 'sso', { returnTo: result.returnTo })
  })
}
