// Response headers (SECURITY.md, Web): CSP, nosniff, Referrer-Policy, and
// no-store on every page that is not a static file.
// The CSP names exactly the origins the configuration brings: the logo's
// (BRAND_LOGO_URL) in img-src, the brand stylesheet's (BRAND_CSS_URL) in
// style-src, the framing sites (FRAME_ANCESTORS) in frame-ancestors.
// X-Frame-Options says the same as frame-ancestors where it can (DENY,
// SAMEORIGIN) and is left out where it cannot name the origins.
// helmet computes the header values once at start; each response then gets
// the same precomputed set in one call (helmet per request cost ~10% of a page).
// JSON for machines gets the part of the set that applies to it.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { Config } from '../config.ts'
import { authorizationOrigins } from '../lib/auth-services.ts'

/** X-Frame-Options agreeing with frame-ancestors; false when only frame-ancestors can say it (other origins). */
function frameOptions (frameAncestors: readonly string[]): { action: 'deny' | 'sameorigin' } | false {
  if (frameAncestors.every((s) => s === "'none'")) return { action: 'deny' }
  if (frameAncestors.every((s) => s === "'self'")) return { action: 'sameorigin' }
  return false
}

export function securityHeaders (config: Pick<Config, 'frameAncestors' | 'publicUrl' | 'brandLogoUrl' | 'brandCssUrl' | 'authServices'>): Record<string, string> {
  const origins = (u: URL | undefined): string[] => u === undefined ? [] : [u.origin]
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
        styleSrc: ["'self'", ...origins(config.brandCssUrl)],
        imgSrc: ["'self'", 'data:', ...origins(config.brandLogoUrl)],
        // The external authorization services' origins: a form post there answers with a redirect to them.
        formAction: ["'self'", ...authorizationOrigins(config.authServices)],
        frameAncestors: config.frameAncestors
      }
    },
    // Framing is governed by CSP frame-ancestors (FRAME_ANCESTORS); X-Frame-Options for older browsers, never contradicting it.
    xFrameOptions: frameOptions(config.frameAncestors),
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

/**
 * What JSON for machines (sessionless routes: the provider API, health
 * checks) needs of them, after OWASP's REST security cheat sheet: the same
 * CSP and framing rule, nosniff, the referrer policy, HSTS, no-store. The
 * rest of helmet's set (COOP, CORP, Origin-Agent-Cluster and the legacy
 * X-* ones) governs documents in a browser, and cost each call its writing.
 */
const MACHINE_HEADERS = ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy', 'strict-transport-security']

/**
 * The headers of the scope it is registered in (app.ts): `browser`, pages
 * (no-store) and static files (cached); `machine`, JSON for machines.
 */
export default fp(async function securityPlugin (app: FastifyInstance, opts: { for: 'browser' | 'machine' }) {
  const { config } = app.deps
  const headers = securityHeaders(config)
  if (opts.for === 'machine') {
    const machineHeaders: Record<string, string> = { 'cache-control': 'no-store' }
    for (const name of MACHINE_HEADERS) if (headers[name] !== undefined) machineHeaders[name] = headers[name]
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(machineHeaders)
      done()
    })
    return
  }
  const pageHeaders = { ...headers, 'cache-control': 'no-store' }
  const staticPrefix = `${config.basePath}static/`
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith(staticPrefix) ? headers : pageHeaders)
    done()
  })
}, { name: 'security' })
