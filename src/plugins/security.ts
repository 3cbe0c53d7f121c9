// Response headers (SECURITY.md, Web): CSP, nosniff, Referrer-Policy, and
// no-store on every page that is not a static file.
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export default fp(async function securityPlugin (app: FastifyInstance) {
  const { config } = app.deps
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: config.frameAncestors
      }
    },
    // Framing is governed by CSP frame-ancestors (FRAME_ANCESTORS).
    frameguard: false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    hsts: config.publicUrl.protocol === 'https:' ? { maxAge: 31536000, includeSubDomains: false } : false
  })
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith(`${config.basePath}static/`)) {
      reply.header('cache-control', 'no-store')
    }
  })
}, { name: 'security', dependencies: [] })
