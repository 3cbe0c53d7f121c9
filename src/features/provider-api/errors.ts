// The provider API's error answers: {"error": {"code", "message"}}, never a
// stack trace. Statuses (SPEC §6): 400 a body or query the schema refuses
// (or not JSON), 401 no or a wrong token, 404 no such thing, 409 a conflict
// with the current state, 422 a refusal by the rules, 429 too many wrong
// tokens from one address.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Failure, PasswordRule } from '../provider/index.ts'
import { PASSWORD_MAX, PASSWORD_MIN } from '../../lib/passwords.ts'

export class ApiRefusal {
  constructor (readonly status: number, readonly code: string, readonly message: string) {}
}

export function sendError (reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } })
}

export const refusal = (reply: FastifyReply, r: ApiRefusal): FastifyReply => sendError(reply, r.status, r.code, r.message)

const passwordRuleText: Record<PasswordRule, string> = {
  too_short: `the password must have at least ${PASSWORD_MIN} characters`,
  too_long: `the password must have at most ${PASSWORD_MAX} characters`,
  common: 'the password is too common',
  same_as_email: 'the password must not be the email'
}

/** A provider operation's typed failure as the API answers it. */
export function userFailure (f: Failure, what: string): ApiRefusal {
  switch (f.reason) {
    case 'not_found': return new ApiRefusal(404, 'not_found', `no user has the id ${what}`)
    case 'invalid_email': return new ApiRefusal(422, 'invalid_email', 'email: not an email address')
    case 'email_taken': return new ApiRefusal(422, 'email_taken', 'email: the address is already used by another user')
    case 'invalid_name': return new ApiRefusal(422, 'invalid_name', 'name: give a full name of 1 to 200 characters on one line')
    case 'invalid_status': return new ApiRefusal(422, 'invalid_status', 'status: use active or disabled')
    case 'weak_password': return new ApiRefusal(422, 'weak_password', `password: ${passwordRuleText[f.rule]}`)
  }
}

/** Fastify's own errors in the API (the schema, the body parser, the body limit), and bugs. */
export function apiErrorHandler (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation !== undefined) {
    return sendError(reply, 400, 'invalid_request', `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params)/, '')}`)
  }
  const status = err.statusCode ?? 500
  if (status === 413) return sendError(reply, 413, 'too_large', 'the body is too large')
  if (status === 415) return sendError(reply, 415, 'unsupported_media_type', 'send the body as application/json')
  if (status === 400) return sendError(reply, 400, 'invalid_json', 'the body is not valid JSON')
  if (status >= 400 && status < 500) return sendError(reply, status, 'bad_request', 'the request cannot be answered')
  request.log.error({ err }, 'provider API request failed')
  return sendError(reply, 500, 'server_error', 'something went wrong on our side; nothing may have been changed, or all of it: read the state before repeating')
}
