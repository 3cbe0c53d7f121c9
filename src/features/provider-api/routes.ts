// The provider API (SPEC §6) under BASE_PATH + provider-api/v1: JSON only,
// no session, no CSRF token (the bearer token instead, auth.ts). Off when
// PROVIDER_API_TOKEN is unset: then every path under it is a 404.
// Everything here is scoped to this plugin: the JSON-only body parser, the
// validators (bodies are not coerced, the query is), the error handler and
// the OpenAPI document, which lists these routes only.
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import type { FastifyInstance } from 'fastify'
import { bearerAuth } from './auth.ts'
import { apiErrorHandler, sendError } from './errors.ts'
import operationRoutes from './operation-routes.ts'
import userRoutes from './user-routes.ts'

export const API_PREFIX = '/provider-api/v1'

// Bodies exactly as sent (a number is not a string); the query's text is
// read as the schema's types. Defaults fill optional paging values.
const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, removeAdditional: false })
const queryAjv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, removeAdditional: false })

async function api (app: FastifyInstance): Promise<void> {
  const { config } = app.deps
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'no such path in the provider API'))
  const token = config.providerApiToken
  if (token === undefined) return

  app.setErrorHandler(apiErrorHandler)
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema))
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
  app.addHook('onRequest', bearerAuth(token))

  const root = `${config.basePath.slice(0, -1)}${API_PREFIX}`
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `${config.appName}: provider API`, version: '1' },
      servers: [{ url: `${config.linkBase}${API_PREFIX.slice(1)}` }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'PROVIDER_API_TOKEN' } } },
      security: [{ bearer: [] }]
    },
    transform: ({ schema, url }) => ({ schema, url: url.slice(root.length) })
  })
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  await typed.register(userRoutes)
  await typed.register(operationRoutes)
  typed.get('/openapi.json', { schema: { hide: true }, config: { access: 'public', kind: 'api' } }, async () => app.swagger())
}

export default async function providerApiRoutes (app: FastifyInstance): Promise<void> {
  await app.register(api, { prefix: API_PREFIX })
}
