// Errors in the route's own kind (plugins/guards.ts): pages for pages, JSON
// for the API. 403 for a missing or wrong CSRF token, 404 for anything
// unknown, 413 for an oversized body, 500 (logged) for bugs.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { translator } from '../lib/i18n.ts'
import { refuse } from './guards.ts'

/** The browser's not-found page for every unknown path (the provider API answers its own in JSON), and its error handler. */
export default fp(async function errorsPlugin (app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) => {
    refuse(request, reply, 404)
  })
  app.setErrorHandler(answerError)
}, { name: 'errors', dependencies: ['view'] })

/** An error as an answer in the route's kind; also the machine routes' error handler (app.ts), where every route answers JSON. */
export function answerError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const status = err.statusCode ?? 500
  if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
    request.log.info({ reqId: request.id }, 'refused: missing or wrong CSRF token')
    return refuse(request, reply, 403, 'error.csrf')
  }
  if (status >= 500) request.log.error({ err }, 'request failed')
  if (reply.sent) return
  try {
    if (status === 413) return refuse(request, reply, 413, 'error.tooLarge')
    if (status >= 400 && status < 500) return refuse(request, reply, status === 404 || status === 403 ? status : 400)
    return refuse(request, reply, 500)
  } catch (renderErr) {
    request.log.error({ err: renderErr }, 'error page failed')
    return reply.code(500).type('text/plain; charset=utf-8').send(translator(request.lang)('error.server'))
  }
}
