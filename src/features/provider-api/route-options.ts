// What every provider API route declares: its access (the bearer token),
// its kind (JSON, no CSRF token, no session) and its schemas, with the
// error answers it may give, for validation and the OpenAPI document.
import type { TSchema } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type { ProviderCaller } from '../provider/index.ts'
import { ErrorBody } from './schemas.ts'

interface RouteSchema { summary: string, tags: string[], params?: TSchema, querystring?: TSchema, body?: TSchema, response: Record<number, TSchema> }

/** The route's options: `errors` are the error statuses it answers besides 400, 401 and 429. */
export function apiRoute<S extends RouteSchema> (schema: S, errors: number[] = []) {
  const response: Record<number, TSchema> = { ...schema.response }
  for (const status of [400, 401, 429, ...errors]) response[status] = ErrorBody
  return {
    config: { access: 'provider' as const, kind: 'api' as const },
    schema: { ...schema, response: response as S['response'] }
  }
}

/** Who calls: the provider, from this address (recorded with every change). */
export const callerOf = (request: FastifyRequest): ProviderCaller => ({ ip: request.ip })
