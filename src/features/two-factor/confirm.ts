// Re-confirmation of sensitive operations ("step-up", after GitHub's sudo
// mode and Mastodon's challengable concern). Guarantees:
// - a listed POST is not carried out until the user proves it is them again
//   (the One-time password when 2FA is on, else the password);
// - access to the target and its existence are checked first (resolve): a
//   user of another account gets the 404 at once, never a password prompt;
// - so is the input (validating): a form with bad input gets its 422 with the
//   messages beside the fields, never a prompt;
// - the prompt carries the original form (secrets aside) and posts it back
//   to the same URL with the proof, so that once confirmed the operation
//   completes in the same request, with its own message and redirect;
// - secrets typed in the original form (passwords, codes) are never written
//   into the page or the session: the prompt asks for them again;
// - a confirmation is kept in the server-side session, bound to the operation
//   AND its target ("users.disable:7" does not disable user 9), for
//   CONFIRM_SECONDS; the page the operation lands on says so, after its own
//   message (session.flashNote).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { recordEvent } from '../../lib/events.ts'
import { addSeconds } from '../../lib/clock.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import { asFormBody } from '../../lib/forms.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { type LimitRule, recordFailure, recordSuccess, reserveAttempt } from '../../lib/limits.ts'
import { safeReturnTo } from '../../lib/paths.ts'
import { verifyPassword } from '../../lib/passwords.ts'
import { CONFIRMS } from '../../plugins/guards.ts'
import type { Deps } from '../../types.ts'
import { otpError, verifySecondFactor } from './otp.ts'
import { findPasswordHash } from './queries.ts'

export const CONFIRM_SECONDS = 5 * 60
export const PASSWORD_TRIES = 5
export const PASSWORD_TRIES_WINDOW_SECONDS = 15 * 60
/** The field of the prompt that carries the proof. */
export const PROOF_FIELD = 'proof'

/** An operation a feature declares (Feature.operations) with what the prompt calls it. */
export type Operation = string

/** What a confirmation is for, worked out by the route after its access and existence checks. */
export interface Challenge {
  /** Bound with the operation: a user id, or 'self'. */
  target: string
  /** How the prompt names the target (an email). */
  targetLabel?: string
  /** Cancel: the page the user came from. */
  back: string
}

/** A form field that is a secret: not carried, asked again on the prompt when it was filled in. */
export interface SecretField { name: string, label: MessageKey, type?: 'password' | 'text', autocomplete?: string, inputmode?: string }

/**
 * Answers the request itself (a 404, a 403, the form again with a 422 for bad
 * input) and returns undefined; or says what is to be confirmed; or returns
 * null when this request needs no confirmation (a form that only sometimes
 * does, e.g. Main settings when it does not narrow access).
 */
export type Resolve = (request: FastifyRequest, reply: FastifyReply, user: CurrentUser) => Promise<Challenge | null | undefined>

/** An operation on the user's own account: nothing to look up; Cancel leads to `back`. */
export function onSelf (back: string): Resolve {
  return async () => ({ target: 'self', back })
}

/**
 * A resolve that, once `resolve` found the target, answers bad input itself
 * with the route's own parser (the form again, 422, messages beside the
 * fields): a prompt comes only for a form the operation would carry out.
 * `answerBadInput` renders that form and returns its reply when the input is
 * bad, else returns undefined. (Its return value, not reply.sent, says it
 * answered: reply.sent stays false while the reply's session is being saved.)
 */
export function validating (resolve: Resolve, answerBadInput: (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, challenge: Challenge) => Promise<FastifyReply | undefined>): Resolve {
  return async (request, reply, user) => {
    const challenge = await resolve(request, reply, user)
    if (challenge === undefined || challenge === null) return challenge
    const answered = await answerBadInput(request, reply, user, challenge)
    return answered === undefined ? challenge : undefined
  }
}

/** A code typed in the original form (an SMS code, a One-time password): asked for again on the prompt. */
export function codeField (label: MessageKey): SecretField {
  return { name: 'code', label, type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' }
}

// Never carried, whatever the route declares: anything that looks like a secret.
const SECRET_NAME = /pass|code|otp|proof|token|secret|_csrf/i

function bindingKey (op: Operation, target: string): string {
  return `${op}:${target}`
}

export function isConfirmed (request: FastifyRequest, op: Operation, target: string, now: Date): boolean {
  const until = request.session.confirmed?.[bindingKey(op, target)]
  return until !== undefined && until > now.getTime()
}

/**
 * preHandler of a sensitive POST: without a live confirmation for (op,
 * target) it answers with the prompt; with a right proof in the request it
 * records the confirmation and lets the handler do the operation.
 */
export function requireConfirmation (op: Operation, resolve: Resolve, secrets: SecretField[] = []) {
  return Object.assign(async function confirmationGuard (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const user = request.user
    if (user === null) return undefined
    const challenge = await resolve(request, reply, user)
    // undefined: the resolve answered (its reply may still be on its way out,
    // e.g. while a read flash is saved, so reply.sent is not the test).
    if (challenge === undefined) return reply
    if (challenge === null) return undefined
    const { deps } = request.server
    if (isConfirmed(request, op, challenge.target, deps.clock.now())) return undefined
    const body = asFormBody(request.body)
    const proof = body[PROOF_FIELD]
    if (proof === undefined) return renderPrompt(request, reply, user, op, challenge, secrets)
    if (typeof proof !== 'string') return renderPrompt(request, reply, user, op, challenge, secrets, 'error.repeated', 422)
    const result = await confirmOperation(deps, request, user, op, challenge.target, proof)
    if (!result.ok) return renderPrompt(request, reply, user, op, challenge, secrets, result.error, 422)
    delete body[PROOF_FIELD]
    // The page the operation lands on says, beside the operation's own message, that it will not ask again for a while.
    request.session.flashNote = { type: 'info', text: 'reconfirm.notice', params: { minutes: String(CONFIRM_SECONDS / 60) } }
    return undefined
  }, { [CONFIRMS]: op })
}

function renderPrompt (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, op: Operation, challenge: Challenge, secrets: SecretField[], error?: MessageKey, status = 200): FastifyReply {
  const base = request.server.deps.config.basePath
  const body = asFormBody(request.body)
  const declared = new Set(secrets.map((s) => s.name))
  const carried: Array<{ name: string, value: string }> = []
  for (const [name, value] of Object.entries(body)) {
    if (name === PROOF_FIELD || declared.has(name) || SECRET_NAME.test(name)) continue
    for (const one of Array.isArray(value) ? value : [value]) {
      if (typeof one === 'string') carried.push({ name, value: one })
    }
  }
  const asked = secrets.filter((s) => typeof body[s.name] === 'string' && body[s.name] !== '')
  const label = request.server.operations[op]
  if (label === undefined) throw new Error(`re-confirmed operation ${op} is declared by no feature`)
  return reply.header('cache-control', 'no-store').render('settings/confirm', {
    operation: request.t(label, { target: challenge.targetLabel ?? '' }),
    action: safeReturnTo(base, request.url) ?? `${base}client/profile`,
    back: safeReturnTo(base, challenge.back) ?? `${base}client/profile`,
    carried,
    secrets: asked.map((s) => ({ name: s.name, label: s.label, type: s.type ?? 'password', autocomplete: s.autocomplete ?? 'off', inputmode: s.inputmode, required: true })),
    twoFactor: user.twoFactor,
    error
  }, status)
}

export type ConfirmResult = { ok: true } | { ok: false, error: MessageKey }

/** PASSWORD_TRIES wrong passwords in PASSWORD_TRIES_WINDOW_SECONDS, then refused until the window ends (lib/limits.ts). */
export const confirmPasswordRule: LimitRule = { kind: 'confirm.password', limit: PASSWORD_TRIES, windowSeconds: PASSWORD_TRIES_WINDOW_SECONDS, onSuccess: 'release' }

/**
 * The password as proof, each check reserved on the counter before argon2
 * runs, so that parallel guesses cannot all be checked. An empty proof is
 * neither checked nor counted.
 */
export async function checkPasswordCounted (deps: Deps, userId: string, proof: string): Promise<'right' | 'wrong' | 'refused'> {
  if (proof === '') return 'wrong'
  const reserved = await reserveAttempt(deps.db, [{ rule: confirmPasswordRule, key: userId }], deps.clock.now())
  if (!reserved.ok) return 'refused'
  const right = await verifyPassword(await findPasswordHash(deps.db, userId), proof)
  if (right) await recordSuccess(deps.db, reserved, deps.clock.now())
  else await recordFailure(deps.db, reserved, deps.clock.now())
  return right ? 'right' : 'wrong'
}

/** Checks the proof and records the confirmation for op in the session. */
export async function confirmOperation (deps: Deps, request: FastifyRequest, user: CurrentUser, op: Operation, target: string, proof: string): Promise<ConfirmResult> {
  const now = deps.clock.now()
  if (user.twoFactor) {
    const result = await verifySecondFactor(deps, user.id, proof, { allowRecovery: false, ip: request.ip })
    if (!result.ok) return { ok: false, error: otpError(result.reason) }
  } else {
    const checked = await checkPasswordCounted(deps, user.id, proof)
    if (checked === 'refused') return { ok: false, error: 'error.tooManyTries' }
    if (checked === 'wrong') {
      await recordEvent(deps.db, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'confirm.failed', ip: request.ip, details: { op, target }, at: now })
      return { ok: false, error: proof === '' ? 'error.required' : 'error.currentPassword' }
    }
  }
  const live = Object.entries(request.session.confirmed ?? {}).filter(([, until]) => until > now.getTime())
  request.session.confirmed = { ...Object.fromEntries(live), [bindingKey(op, target)]: addSeconds(now, CONFIRM_SECONDS).getTime() }
  await recordEvent(deps.db, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'confirm.ok', ip: request.ip, details: { op, target }, at: now })
  return { ok: true }
}
