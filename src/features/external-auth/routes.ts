import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type AuthService, authorizationOrigins } from '../../lib/auth-services.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import { formatDateTime } from '../../lib/format.ts'
import { asFormBody, field } from '../../lib/forms.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { safeReturnTo } from '../../lib/paths.ts'
import { refuse, signedInHandler } from '../../plugins/guards.ts'
import { completeSignIn } from '../auth/index.ts'
import { requireConfirmation, type Resolve } from '../two-factor/index.ts'
import { FLOW_SECONDS, type Flow, type FlowFailure, serviceClients } from './client.ts'
import { listIdentities } from './queries.ts'
import { bindIdentity, findSignInUser, unbindIdentity } from './service.ts'

declare module '@fastify/session' {
  interface FastifySessionObject {
    /** The external authorization flow this browser started, until its callback. */
    externalAuth?: Flow
  }
}

const PAGE = '/client/settings/external-auth'
type Service = { Params: { service: string } }

const failures: Record<FlowFailure | 'taken' | 'expired', MessageKey> = {
  denied: 'externalAuth.failed.denied',
  invalid: 'externalAuth.failed.invalid',
  expired: 'externalAuth.failed.invalid',
  unavailable: 'externalAuth.failed.unavailable',
  token: 'externalAuth.failed.token',
  taken: 'externalAuth.failed.taken'
}

export default async function externalAuthRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const { config } = deps
  const base = config.basePath
  const page = `${base}${PAGE.slice(1)}`
  const clients = serviceClients(config)
  const allowedOrigins = new Set(authorizationOrigins(config.authServices))
  const serviceOf = (id: string): AuthService | undefined => config.authServices.find((s) => s.id === id)

  async function show (request: FastifyRequest, reply: FastifyReply, user: CurrentUser): Promise<FastifyReply> {
    const bound = await listIdentities(deps.db, user.id)
    const when = (d: Date): string => formatDateTime(d, request.lang, user.timeZone)
    const services = config.authServices.map((s) => {
      const link = bound.find((b) => b.service === s.id)
      return { id: s.id, name: s.name, bound: link === undefined ? undefined : { display: link.display, at: when(link.boundAt) } }
    })
    // Links to services the provider no longer lists: shown, and can be unbound.
    const former = bound.filter((b) => serviceOf(b.service) === undefined).map((b) => ({ id: b.service, name: b.service, bound: { display: b.display, at: when(b.boundAt) }, former: true }))
    return reply.render('settings/external-auth', { services: [...services, ...former], configured: config.authServices.length > 0, hasBound: bound.length > 0 })
  }

  function failed (request: FastifyRequest, reply: FastifyReply, reason: keyof typeof failures, intent: Flow['intent'] | undefined): FastifyReply {
    const back = intent === 'bind' || (intent === undefined && request.user !== null) ? page : `${base}login`
    return reply.render('auth/external-failed', { message: failures[reason], back, backLabel: back === page ? 'externalAuth.backToPage' : 'externalAuth.backToLogin' }, reason === 'unavailable' ? 503 : 400)
  }

  app.get(PAGE, { config: { access: 'user' } }, signedInHandler(show))

  // Bind is re-confirmed (the operation and its service as the target); a login start is not.
  const onBind: Resolve = async (request, reply, user) => {
    if (field(asFormBody(request.body), 'intent') !== 'bind') return null
    const service = serviceOf((request.params as { service: string }).service)
    if (service === undefined) { refuse(request, reply, 404); return undefined }
    if ((await listIdentities(deps.db, user.id)).some((b) => b.service === service.id)) {
      request.session.flash = { type: 'info', text: 'externalAuth.alreadyBound', params: { service: service.name } }
      reply.redirect(page, 303)
      return undefined
    }
    return { target: service.id, targetLabel: service.name, back: page }
  }

  // Start: "Log in with …" on the login page, or Bind on the settings page
  // (intent=bind). A POST with the CSRF token, so that no other site can
  // start a flow in this browser; the state, PKCE verifier and nonce stay
  // in the session.
  app.post<Service>('/auth/:service/start', {
    config: { access: 'public', personalData: PAGE.slice(1) },
    preHandler: requireConfirmation('external-auth.bind', onBind)
  }, async (request, reply) => {
    const service = serviceOf(request.params.service)
    if (service === undefined) return refuse(request, reply, 404)
    const body = asFormBody(request.body)
    const intent = field(body, 'intent') === 'bind' ? 'bind' : 'login'
    const user = request.user
    if (intent === 'bind' && user === null) return reply.redirect(`${base}login`, 303)
    if (intent === 'login' && user !== null) return reply.redirect(`${base}client/profile`, 303)
    const started = await clients.start(service, { intent, userId: user?.id, returnTo: safeReturnTo(base, body.return_to) }, deps.clock.now())
    if (!started.ok) {
      request.log.warn({ service: service.id }, 'external authorization service unavailable')
      return failed(request, reply, 'unavailable', intent)
    }
    request.session.externalAuth = started.flow
    // A redirect to an origin the CSP's form-action does not list (an issuer whose discovery names
    // an authorization endpoint elsewhere) would be blocked by the browser: a page that goes on instead.
    if (!allowedOrigins.has(new URL(started.url).origin)) return reply.render('auth/external-redirect', { url: started.url, service: service.name })
    return reply.redirect(started.url, 303)
  })

  // The service's redirect back. The flow is taken out of the session first:
  // whatever happens, its state is used once.
  app.get<Service & { Querystring: Record<string, string> }>('/auth/:service/callback', { config: { access: 'public' } }, async (request, reply) => {
    const service = serviceOf(request.params.service)
    if (service === undefined) return refuse(request, reply, 404)
    const flow = request.session.externalAuth
    if (flow !== undefined) delete request.session.externalAuth
    const now = deps.clock.now().getTime()
    const query = new URLSearchParams(request.url.split('?')[1] ?? '')
    if (flow === undefined || flow.service !== service.id || now - flow.at > FLOW_SECONDS * 1000) {
      request.log.info({ service: service.id, flow: flow !== undefined }, 'external callback without its flow')
      return failed(request, reply, flow === undefined ? 'invalid' : 'expired', flow?.intent)
    }
    const user = request.user
    // A bind completes only in the session of the user who started it, still signed in.
    if (flow.intent === 'bind' && (user === null || user.id !== flow.userId || user.restricted)) return failed(request, reply, 'invalid', flow.intent)
    const result = await clients.finish(service, flow, query)
    if (!result.ok) {
      request.log.info({ service: service.id, reason: result.reason, detail: result.detail }, 'external callback failed')
      return failed(request, reply, result.reason, flow.intent)
    }
    if (flow.intent === 'bind' && user !== null) {
      const bound = await bindIdentity(deps, user, service, result.identity, request.ip)
      if (!bound.ok && bound.reason === 'taken') return failed(request, reply, 'taken', 'bind')
      request.session.flash = bound.ok
        ? { type: 'success', text: 'externalAuth.boundDone', params: { service: service.name } }
        : { type: 'info', text: 'externalAuth.alreadyBound', params: { service: service.name } }
      return reply.redirect(page, 303)
    }
    if (user !== null) return reply.redirect(`${base}client/profile`, 303)
    const ua = request.headers['user-agent']
    const found = await findSignInUser(deps, service, result.identity, { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null })
    if (!found.ok) {
      const error: MessageKey = found.reason === 'not_bound' ? 'externalAuth.notBound' : 'login.failed'
      return reply.render('auth/login', { email: '', returnTo: flow.returnTo ?? '', error, errorParams: { service: service.name }, here: `${base}login` }, 422)
    }
    return await completeSignIn(request, reply, found.user, 'external', { returnTo: flow.returnTo, service: service.id })
  })

  // Unbind: re-confirmed, which is also the page that asks (SPEC §4 intro).
  const onUnbind: Resolve = async (request, reply, user) => {
    const id = (request.params as { service: string }).service
    const bound = (await listIdentities(deps.db, user.id)).find((b) => b.service === id)
    if (bound === undefined) {
      request.session.flash = { type: 'info', text: 'externalAuth.notBoundHere' }
      reply.redirect(page, 303)
      return undefined
    }
    return { target: id, targetLabel: serviceOf(id)?.name ?? id, back: page }
  }

  app.post<Service>(`${PAGE}/:service/unbind`, {
    config: { access: 'user' },
    preHandler: requireConfirmation('external-auth.unbind', onUnbind)
  }, signedInHandler<Service>(async (request, reply, user) => {
    const id = request.params.service
    const done = await unbindIdentity(deps, user, id, serviceOf(id), { userId: user.id, ip: request.ip })
    request.session.flash = done
      ? { type: 'success', text: 'externalAuth.unboundDone', params: { service: serviceOf(id)?.name ?? id } }
      : { type: 'info', text: 'externalAuth.notBoundHere' }
    return reply.redirect(page, 303)
  }))
}
