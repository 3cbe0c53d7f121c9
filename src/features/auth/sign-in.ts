// Sign-in completion: the one way a user becomes signed in, whatever proved
// who they are (the password form, the second step, the provider's SSO
// handoff, and later external sign-in and one-time links). Guarantees:
// - a user with 2FA on whose proof was a first factor only is not signed
//   in: the session gets a new id holding the pending second step alone;
// - a completed sign-in gets a new session id and CSRF secret (no fixation),
//   is recorded in the sign-in history and the audit log, updates the last
//   login and starts the address's failure count again;
// - the redirect goes to a local path under BASE_PATH only;
// - a user whose IP list (Main settings) leaves out the client's IP is not
//   signed in, whatever the proof: answered as a wrong password, audited.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { safeReturnTo } from '../../lib/paths.ts'
import { newSessionId, renewSession } from '../../plugins/session.ts'
import type { Flash } from '../../types.ts'
import { checkSignInIp, recordSignIn, type Client, type RecordedMethod, type SignInMethod } from './service.ts'

/** How long the second step may wait after the first. */
export const SECOND_STEP_SECONDS = 5 * 60

/** Proofs that are a second factor themselves. */
const SECOND_FACTORS: ReadonlySet<SignInMethod> = new Set(['totp', 'recovery'])

export interface SignInUser { id: string, account_id: string, email: string, two_factor_enabled: boolean }

export function clientOf (request: FastifyRequest): Client {
  const ua = request.headers['user-agent']
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null }
}

/** What the history records: a second step after an SSO link names both proofs. */
function recordedMethod (request: FastifyRequest, user: SignInUser, method: SignInMethod): RecordedMethod {
  const pending = request.session.pending2fa
  if (SECOND_FACTORS.has(method) && pending?.userId === user.id && pending.first === 'sso') return method === 'totp' ? 'sso_totp' : 'sso_recovery'
  return method
}

/**
 * Signs the user in (or starts the second step) and answers with the
 * redirect. `service`: the external authorization service that was the first
 * factor (method 'external', or the second step after one), for the history.
 */
export async function completeSignIn (request: FastifyRequest, reply: FastifyReply, user: SignInUser, method: SignInMethod, opts: { returnTo?: string, flash?: Flash, service?: string } = {}): Promise<FastifyReply> {
  const { deps } = request.server
  const base = deps.config.basePath
  const returnTo = safeReturnTo(base, opts.returnTo)
  const recorded = recordedMethod(request, user, method)
  // Outside the user's IP list: no session, the answer of a wrong password (logIn refuses the
  // password step itself; this holds for every other proof, the second step included).
  if (!await checkSignInIp(deps, user, clientOf(request), recorded)) {
    if (request.session.pending2fa !== undefined) await newSessionId(request, reply)
    return reply.render('auth/login', { email: '', returnTo: returnTo ?? '', error: 'login.failed' }, 422)
  }
  if (user.two_factor_enabled && !SECOND_FACTORS.has(method)) {
    // The first factor is right, the second is due: a new session that signs nobody in yet.
    await newSessionId(request, reply)
    request.session.pending2fa = { userId: user.id, at: deps.clock.now().getTime(), returnTo, first: method, service: opts.service }
    return reply.redirect(`${base}login/two-factor`, 303)
  }
  await recordSignIn(deps, user, clientOf(request), recorded, opts.service)
  // A new session id at every sign-in: the session before it and its CSRF secret die here.
  await renewSession(request, reply, user.id)
  if (opts.flash !== undefined) request.session.flash = opts.flash
  return reply.redirect(returnTo ?? `${base}client/profile`, 303)
}

/** The second step waiting in this session, while it is fresh. */
export function pendingSecondStep (request: FastifyRequest): { userId: string, returnTo?: string, service?: string } | undefined {
  const p = request.session.pending2fa
  return p !== undefined && request.server.deps.clock.now().getTime() - p.at < SECOND_STEP_SECONDS * 1000 ? p : undefined
}
