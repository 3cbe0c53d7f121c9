// CSRF tokens on every state-changing request (SECURITY.md, Web). The secret
// lives in the server-side session and dies with it at login and logout.
import fastifyCsrf from '@fastify/csrf-protection'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export default fp(async function csrfPlugin (app: FastifyInstance) {
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/session',
    // Only the form field: no header or query string fallback.
    getToken: (request) => {
      const body = request.body as Record<string, unknown> | undefined
      const token = body?._csrf
      return typeof token === 'string' ? token : ''
    }
  })
  // preValidation: after the body is parsed, before any handler or access check runs.
  app.addHook('preValidation', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done()
    if (request.routeOptions.config.csrf === false) return done()
    app.csrfProtection(request, reply, done)
  })
}, { name: 'csrf', dependencies: ['session'] })
