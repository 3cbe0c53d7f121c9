// Request guards: an ordered list of checks every request passes before its
// handler, each reading what the route declares in its config. Deny by
// default: every route must declare config.access, or the app does not start.
//
// Order: signed in, then permission; features add theirs after (IP list,
// session binding, policy acceptance, read-only restriction), through
// Feature.guards. A guard answers the request itself (a redirect, a 403) to
// stop it; the answer follows the route's kind: a page for pages, JSON for
// the API.
//
// Route kinds set the body limit and whether the CSRF token is checked:
// pages take small url-encoded forms with a token; uploads are pages that
// take one file as multipart/form-data, the token as its first part
// (plugins/uploads.ts; their body limit is what a body may declare: the file
// itself is limited by UPLOAD_LIMITS, so that a file a little too large gets
// the page's message); API and webhook routes authenticate otherwise (a
// bearer token, a signature) and answer JSON.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify'
import fp from 'fastify-plugin'
import { can, type CurrentUser } from '../lib/current-user.ts'
import { type MessageKey, translator } from '../lib/i18n.ts'
import { loginPathFor } from '../lib/paths.ts'
import { sessionWasEnded } from './session.ts'
import type { Access, RouteKind } from '../types.ts'
import { routeConfig } from '../lib/route-config.ts'

export const routeKinds: Record<RouteKind, { csrf: boolean, bodyLimit: number, answers: 'html' | 'json', multipart?: true }> = {
  page: { csrf: true, bodyLimit: 64 * 1024, answers: 'html' },
  // The signed token in the URL is the proof: one-click unsubscribe (RFC 8058) posts without cookies.
  link: { csrf: false, bodyLimit: 4 * 1024, answers: 'html' },
  upload: { csrf: true, bodyLimit: 4 * 1024 * 1024, answers: 'html', multipart: true },
  api: { csrf: false, bodyLimit: 256 * 1024, answers: 'json' },
  webhook: { csrf: false, bodyLimit: 256 * 1024, answers: 'json' }
}

export function kindOf (request: FastifyRequest): RouteKind {
  return routeConfig(request).kind ?? 'page'
}

const jsonErrors: Record<number, { code: string, message: MessageKey }> = {
  400: { code: 'bad_request', message: 'error.badRequest' },
  401: { code: 'unauthorized', message: 'error.unauthorized' },
  403: { code: 'forbidden', message: 'error.forbidden' },
  404: { code: 'not_found', message: 'error.notFound' },
  413: { code: 'too_large', message: 'error.tooLarge' },
  500: { code: 'server_error', message: 'error.server' }
}

/** An error answer in the route's own kind: the error page, or {"error": {code, message}} in English for the API. */
export function refuse (request: FastifyRequest, reply: FastifyReply, status: number, message?: MessageKey): FastifyReply {
  if (routeKinds[kindOf(request)].answers === 'json') {
    const known = jsonErrors[status] ?? jsonErrors[status >= 500 ? 500 : 400]!
    return reply.code(status).type('application/json').send({ error: { code: known.code, message: translator('en')(message ?? known.message) } })
  }
  return reply.render('errors/error', { status, message }, status)
}

/** One check: undefined lets the request go on; a reply stops it. */
export interface Guard {
  name: string
  check: (request: FastifyRequest, reply: FastifyReply, access: Access) => FastifyReply | undefined | Promise<FastifyReply | undefined>
}

/**
 * The answer to a request that needs a user and has none: the login page
 * (saying why when the browser's session has just ended), or a 401 for JSON
 * kinds. Also what a guard that ends the session answers.
 */
export function answerSignedOut (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (routeKinds[kindOf(request)].answers === 'json') return refuse(request, reply, 401)
  const { basePath } = request.server.deps.config
  const to = request.method === 'GET' ? loginPathFor(basePath, request.url) : `${basePath}login`
  // Say why when the browser's session ended under it: it was signed in a moment ago.
  return reply.redirect(sessionWasEnded(request) ? `${to}${to.includes('?') ? '&' : '?'}ended=1` : to, 303)
}

const signedIn: Guard = {
  name: 'signed-in',
  check (request, reply, access) {
    if (access === 'public' || request.user !== null) return undefined
    return answerSignedOut(request, reply)
  }
}

const permission: Guard = {
  name: 'permission',
  check (request, reply, access) {
    if (typeof access === 'object' && !can(request.user, access.permission)) return refuse(request, reply, 403)
    return undefined
  }
}

/**
 * A handler of a route that requires a signed-in user (access 'user' or a
 * permission), given that user typed: no `request.user!` in handlers.
 */
export function signedInHandler<R extends RouteGenericInterface = RouteGenericInterface> (
  handler: (request: FastifyRequest<R>, reply: FastifyReply, user: CurrentUser) => Promise<FastifyReply>
): (request: FastifyRequest<R>, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    const user = request.user
    // The guards ran before: a missing user here is a route declared public by mistake.
    if (user === null) throw new Error(`${request.routeOptions.url ?? request.url} needs a user but is not guarded by one`)
    return await handler(request, reply, user)
  }
}

/** Marks a preHandler as the re-confirmation of an operation, for the route table. */
export const CONFIRMS = Symbol('confirms')

function confirmedOperation (preHandler: unknown): string | undefined {
  for (const fn of Array.isArray(preHandler) ? preHandler : [preHandler]) {
    const op = (fn as { [CONFIRMS]?: string } | undefined)?.[CONFIRMS]
    if (op !== undefined) return op
  }
  return undefined
}

/** The checks every request passes first, before the features' own (Feature.guards). */
export const builtInGuards: readonly Guard[] = [signedIn, permission]

/**
 * On the root instance, so that it sees every route (browser and machine):
 * each declares its access or the app does not start, gets its kind's body
 * limit, and is listed in app.routeTable.
 */
export const routeRulesPlugin = fp(async function routeRulesPlugin (app: FastifyInstance) {
  const { basePath } = app.deps.config
  app.decorate('routeTable', [])
  app.addHook('onRoute', (route) => {
    const config = route.config ?? {}
    if (config.access === undefined && !isStatic(basePath, route.url) && route.method !== 'HEAD') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access rule`)
    }
    route.bodyLimit ??= routeKinds[config.kind ?? 'page'].bodyLimit
    app.routeTable.push({ method: String(route.method), url: route.url, access: config.access, kind: config.kind ?? 'page', operation: confirmedOperation(route.preHandler) })
  })
}, { name: 'route-rules' })

const isStatic = (basePath: string, url: string | undefined) => url?.startsWith(`${basePath}static`) === true

/** The guards (app.guards) before every browser route's handler. */
export default fp(async function guardsPlugin (app: FastifyInstance) {
  const { basePath } = app.deps.config
  app.addHook('onRoute', (route) => {
    // The bearer token is checked by the provider API's own routes, which are not browser routes (app.ts).
    if (route.config?.access === 'provider') throw new Error(`browser route ${String(route.method)} ${route.url} cannot have the provider's access: no guard checks a bearer token`)
  })
  // A callback hook, not an async one: the built-in guards answer at once,
  // and this runs on every request.
  app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (request.is404) return done() // the not-found handler answers
    const { access } = routeConfig(request)
    if (access === undefined) {
      if (isStatic(basePath, request.routeOptions.url)) return done()
      refuse(request, reply, 403)
      return
    }
    const guards = app.guards
    const next = (i: number): void => {
      for (; i < guards.length; i++) {
        if (reply.sent) return
        const stopped = guards[i]!.check(request, reply, access)
        if (stopped instanceof Promise) {
          stopped.then((answer) => { if (answer === undefined && !reply.sent) next(i + 1) }, done)
          return
        }
        if (stopped !== undefined) return
      }
      if (!reply.sent) done()
    }
    next(0)
  })
}, { name: 'guards', dependencies: ['session', 'view'] })
