import type { FastifyInstance } from 'fastify'
import { pingDatabase } from './queries.ts'

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { access: 'public' } }, async (request, reply) => {
    try {
      await pingDatabase(app.deps.db)
      return reply.type('application/json').send({ status: 'ok' })
    } catch (err) {
      request.log.error({ err }, 'health check: database unreachable')
      return reply.code(503).type('application/json').send({ status: 'unavailable' })
    }
  })
}
