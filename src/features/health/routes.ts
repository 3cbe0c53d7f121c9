// GET /healthz: liveness, the process answers (no database round trip, so a
// load balancer polling it costs nothing and a database outage does not get
// every instance restarted).
// GET /readyz: readiness, whether this instance can serve: the database
// answers a query and the job queue runs and reaches its tables; 503 with
// what failed otherwise. From the moment a shutdown begins Fastify itself
// answers every request still arriving (on a kept-alive connection) with
// 503 and Connection: close, /readyz included (return503OnClosing), so
// that a load balancer stops sending to an instance that is going away.
import type { FastifyInstance } from 'fastify'
import { pingDatabase } from './queries.ts'

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { access: 'public', kind: 'api' } }, async (_request, reply) => {
    return reply.type('application/json').send({ status: 'ok' })
  })

  app.get('/readyz', { config: { access: 'public', kind: 'api' } }, async (request, reply) => {
    const failed: Record<string, string> = {}
    try {
      await pingDatabase(app.deps.db)
    } catch (err) {
      failed.database = 'unreachable'
      request.log.error({ err }, 'readiness: database unreachable')
    }
    const queue = await app.deps.jobs.unreadyReason()
    if (queue !== undefined) {
      failed.queue = queue.startsWith('unreachable') ? 'unreachable' : queue
      if (queue !== 'stopped') request.log.error({ reason: queue }, 'readiness: job queue unusable')
    }
    if (Object.keys(failed).length === 0) return reply.type('application/json').send({ status: 'ready' })
    return reply.code(503).type('application/json').send({ status: 'unavailable', failed })
  })
}
