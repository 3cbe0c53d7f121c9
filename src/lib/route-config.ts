// The route's config (access, kind, …) as the hooks read it. In Fastify 5
// request.routeOptions builds a new object of a dozen fields on every read,
// and a page's hooks and guards read the config some eight times: this reads
// it once a request. (After reply.callNotFound() it stays the route's: every
// reader checks request.is404 first or answers the same for both.)
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify'

const CONFIG = Symbol('route config')
type WithConfig = FastifyRequest & { [CONFIG]: FastifyContextConfig | null }

/** Once, on the root instance, before any hook reads routeConfig(). */
export function decorateRouteConfig (app: FastifyInstance): void {
  app.decorateRequest(CONFIG, null)
}

export function routeConfig (request: FastifyRequest): FastifyContextConfig {
  const r = request as WithConfig
  return r[CONFIG] ??= request.routeOptions.config
}
