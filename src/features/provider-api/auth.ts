// The provider API's authentication: `Authorization: Bearer
// PROVIDER_API_TOKEN`. Guarantees:
// - the token is compared in constant time (SHA-256 digests of both, so
//   that neither the length nor the content shows in the timing);
// - a browser's session cookie authenticates nothing here (the routes are
//   sessionless: no session is read for them; no route reads a user);
// - a missing or wrong token is a 401, counted per client IP in PostgreSQL
//   (lib/limits.ts: reserved atomically, so parallel requests get no more
//   401s than the limit and several instances share the count); beyond the
//   limit the address gets 429 until the window ends;
// - the right token is taken without a database round trip (the billing
//   front end calls on every page): a token of 32 or more characters is
//   not found by guessing within any limit, so the limit is there against
//   floods and noise, not as the token's only protection.
import { hash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { type LimitRule, reserveAttempt } from '../../lib/limits.ts'
import { sendError } from './errors.ts'
import { routeConfig } from '../../lib/route-config.ts'

export const WRONG_TOKEN_RULE: LimitRule = { kind: 'provider_api.ip', limit: 20, windowSeconds: 15 * 60, onSuccess: 'release' }

const digest = (v: string): Buffer => hash('sha256', v, 'buffer')

/** The request's bearer token, or undefined. */
function bearerOf (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  return m?.[1]
}

/** An onRequest hook for the API's routes that need the token (a callback hook: the right token answers at once, with no promise). */
export function bearerAuth (token: string): (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  const expected = digest(token)
  return (request, reply, done) => {
    if (routeConfig(request).access !== 'provider') return done()
    const given = bearerOf(request)
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return done()
    refuseToken(request, reply, given).catch(done)
  }
}

/** A missing or wrong token: a 401, counted for the address, or a 429 beyond the limit. */
async function refuseToken (request: FastifyRequest, reply: FastifyReply, given: string | undefined): Promise<void> {
  const { db, clock } = request.server.deps
  const reserved = await reserveAttempt(db, [{ rule: WRONG_TOKEN_RULE, key: request.ip }], clock.now())
  if (!reserved.ok) {
    if (reserved.retryAfter !== null) reply.header('retry-after', String(Math.max(1, Math.ceil((reserved.retryAfter.getTime() - clock.now().getTime()) / 1000))))
    sendError(reply, 429, 'too_many_attempts', 'too many requests without the right token from this address; try again later')
    return
  }
  request.log.info({ ip: request.ip }, 'provider API: missing or wrong token')
  reply.header('www-authenticate', 'Bearer')
  sendError(reply, 401, 'unauthorized', given === undefined ? 'send Authorization: Bearer <PROVIDER_API_TOKEN>' : 'the token is wrong')
}
