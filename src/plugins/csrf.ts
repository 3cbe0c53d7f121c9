// CSRF tokens on every state-changing request (SECURITY.md, Web).
// Guarantees:
// - every POST (and any other unsafe method) carries the token in its form
//   field `_csrf` (no header or query fallback), checked before any handler
//   or access check; a missing or wrong one is a 403 and changes nothing;
//   an upload (multipart) carries it as its first part, checked before the
//   file is read (plugins/uploads.ts);
// - the secret is a signed, HttpOnly, SameSite=Lax cookie (None; Secure;
//   Partitioned when framed: lib/site-cookies.ts) (signed
//   double-submit), so that an anonymous page such as /login writes no
//   session row; it is replaced at every sign-in and privilege change
//   (renewSession) and cleared at logout.
import fastifyCsrf from '@fastify/csrf-protection'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { siteCookieOptions } from '../lib/site-cookies.ts'
import { routeKinds } from './guards.ts'
import { uploadCsrfToken } from './uploads.ts'
import { routeConfig } from '../lib/route-config.ts'

export function csrfCookieName (config: Pick<Config, 'publicUrl' | 'basePath'>): string {
  return config.publicUrl.protocol === 'https:' && config.basePath === '/' ? '__Host-csrf' : 'csrf'
}

/** A new CSRF secret for this browser (the old one dies): at sign-in and on a new session id. */
export function renewCsrfSecret (request: FastifyRequest, reply: FastifyReply): void {
  delete request.cookies[csrfCookieName(request.server.deps.config)]
  reply.generateCsrf()
}

/** The secret of this request, if it has a valid one. */
export function csrfSecretOf (request: FastifyRequest): string | undefined {
  const raw = request.cookies[csrfCookieName(request.server.deps.config)]
  if (raw === undefined) return undefined
  const { valid, value } = request.unsignCookie(raw)
  return valid && value !== null ? value : undefined
}

export default fp(async function csrfPlugin (app: FastifyInstance) {
  const { config } = app.deps
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookieName(config),
    cookieOpts: { path: config.basePath, httpOnly: true, ...siteCookieOptions(config), signed: true },
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
    // No route: the not-found answer changes nothing (and the provider API's is JSON).
    if (request.is404) return done()
    const kind = routeKinds[routeConfig(request).kind ?? 'page']
    if (!kind.csrf) return done()
    if (kind.multipart !== true) return app.csrfProtection(request, reply, done)
    uploadCsrfToken(request).then((token) => {
      // The token alone stands for the body here: the handler reads the file from the parts.
      request.body = { _csrf: token }
      app.csrfProtection(request, reply, done)
    }, done)
  })
}, { name: 'csrf', dependencies: ['session'] })
