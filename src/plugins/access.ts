// Deny by default: every route must declare config.access, or the app does
// not start. A preHandler enforces it on every request, after the session
// has put the user (read from the database) on the request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { can } from '../lib/current-user.ts'
import { loginPathFor } from '../lib/paths.ts'
import { confirmedOperation } from '../features/two-factor/confirm.ts'

export default fp(async function accessPlugin (app: FastifyInstance) {
  const { basePath } = app.deps.config
  app.decorate('routeTable', [])
  app.addHook('onRoute', (route) => {
    if (route.config?.access === undefined && !route.url.startsWith(`${basePath}static`) && route.method !== 'HEAD') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access rule`)
    }
    app.routeTable.push({ method: String(route.method), url: route.url, access: route.config?.access, operation: confirmedOperation(route.preHandler) })
  })
  app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (request.is404) return done() // the not-found handler answers
    const access = request.routeOptions.config.access
    if (access === 'public' || (access === undefined && request.routeOptions.url?.startsWith(`${basePath}static`) === true)) return done()
    if (access === undefined) return reply.render('errors/error', { status: 403 }, 403)
    if (request.user === null) {
      if (request.method === 'GET') return reply.redirect(loginPathFor(basePath, request.url), 303)
      return reply.redirect(`${basePath}login`, 303)
    }
    if (access !== 'user' && !can(request.user, access.permission)) {
      return reply.render('errors/error', { status: 403 }, 403)
    }
    done()
  })
}, { name: 'access', dependencies: ['session', 'view'] })
