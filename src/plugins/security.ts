// Response headers (SECURITY.md, Web): CSP, nosniff, Referrer-Policy, and
// no-store on every page that is not a static file.
// helmet computes the header values once at start; each response then gets
// the same precomputed set in one call (helmet per request cost ~10% of a page).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { Config } from '../config.ts'
import { authorizationOrigins } from '../lib/auth-services.ts'

export function securityHeaders (config: Pick<Config, 'frameAncestors' | 'publicUrl' | 'authServices'>): Record<string, string> {
  const headers: Record<string, string> = {}
  const collect = {
    setHeader (name: string, value: string | number) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // The external authorization services' origins: a form post there answers with a redirect to them.
        formAction: ["'self'", ...authorizationOrigins(config.authServices)],
        frameAncestors: config.frameAncestors
      }
    },
    // Framing is governed by CSP frame-ancestors (FRAME_ANCESTORS).
    xFrameOptions: false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: config.publicUrl.protocol === 'https:' ? { maxAge: 31536000, includeSubDomains: false } : false
  })
  let failed: unknown
  middleware({} as IncomingMessage, collect as unknown as ServerResponse, (err?: unknown) => { failed = err })
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- helmet's own error, passed on as it came
  if (failed !== undefined) throw failed
  return headers
}

export default fp(async function securityPlugin (app: FastifyInstance) {
  const { config } = app.deps
  const headers = securityHeaders(config)
  const pageHeaders = { ...headers, 'cache-control': 'no-store' }
  const staticPrefix = `${config.basePath}static/`
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith(staticPrefix) ? headers : pageHeaders)
    done()
  })
}, { name: 'security' })
