// Errors as plain pages: 403 for a missing or wrong CSRF token, 404 for
// anything unknown, 413 for an oversized form, 500 (logged) for bugs.
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export default fp(async function errorsPlugin (app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) => {
    reply.render('errors/error', { status: 404 }, 404)
  })
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      request.log.info({ reqId: request.id }, 'refused: missing or wrong CSRF token')
      return reply.render('errors/error', { status: 403, message: 'error.csrf' }, 403)
    }
    if (status >= 500) request.log.error({ err }, 'request failed')
    if (reply.sent) return
    try {
      if (status === 413) return reply.render('errors/error', { status, message: 'error.tooLarge' }, 413)
      if (status >= 400 && status < 500) return reply.render('errors/error', { status: status === 404 || status === 403 ? status : 400 }, status)
      return reply.render('errors/error', { status: 500 }, 500)
    } catch (renderErr) {
      request.log.error({ err: renderErr }, 'error page failed')
      return reply.code(500).type('text/plain').send('Internal Server Error')
    }
  })
}, { name: 'errors', dependencies: ['view'] })
