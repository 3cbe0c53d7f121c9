// Signing in, asking for a reset link and setting a password from a link.
// Unknown email, wrong password, disabled user, a throttled address and an
// IP outside the user's access list give the same answer after the same work
// (one argon2 verification). The
// throttle's decision comes from the limit counters, reserved before the
// check (throttle.ts); login_attempts is the user-visible history only.
import type { Deps } from '../../types.ts'
import { recordEvent } from '../../lib/events.ts'
import { addSeconds } from '../../lib/clock.ts'
import { recordFailure, recordSuccess, releaseAttempt, reserveAttempt, resetCounter } from '../../lib/limits.ts'
import { notify } from '../../lib/deliveries/index.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { checkNewPassword, hashPassword, needsRehash, verifyPassword } from '../../lib/passwords.ts'
import { consumeToken, issueToken, peekToken, revokeTokens, type TokenPurpose } from '../../lib/tokens.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import { ipAllowed } from '../../lib/ip-access.ts'
import { countRecentTokens, findIpAccess, findUserByEmail, findUserById, recordAttempt, setLastLogin, setPasswordHash, signInHistoryOf } from './queries.ts'
import { describeBrowser } from '../sessions/index.ts'
import { emailRule, ipRule } from './throttle.ts'

export const RESET_TTL_SECONDS = 3600
export const INVITE_TTL_SECONDS = 7 * 24 * 3600
export const RESETS_PER_HOUR = 3

export interface Client { ip: string, userAgent: string | null }

/** What proved who the user is ('sso': a provider's one-time sign-in link; 'external': an external authorization service; both a first factor like the password). */
export type SignInMethod = 'password' | 'totp' | 'recovery' | 'sso' | 'external'

/**
 * What the sign-in history and the audit log record: the method, or for a
 * second step after an SSO link, both ('sso_totp', 'sso_recovery'; after a
 * password the second factor alone says it, as it always did).
 */
export type RecordedMethod = SignInMethod | 'sso_totp' | 'sso_recovery'

export type LogInResult = { ok: true, user: { id: string, account_id: string, email: string, two_factor_enabled: boolean } } | { ok: false }

export async function logIn (deps: Deps, email: string, password: string, client: Client): Promise<LogInResult> {
  const { db, clock } = deps
  const now = clock.now()
  const key = email.trim().toLowerCase()
  // The try is counted before the password is checked, so that parallel tries cannot all be checked.
  const reservation = await reserveAttempt(db, [{ rule: emailRule, key }, { rule: ipRule, key: client.ip }], now)
  const throttled = !reservation.ok
  // No stored address is empty, longer than 320 or holds a NUL (which PostgreSQL text cannot hold).
  const user = key === '' || key.length > 320 || key.includes('\u0000') ? undefined : await findUserByEmail(db, key)
  const valid = await verifyPassword(throttled ? null : user?.password_hash, password)
  // From outside the user's IP list: refused exactly as a wrong password is (the list tells nothing).
  const ipRefused = user !== undefined && !signInAllowedFrom(user, client.ip)
  const ok = !throttled && valid && user?.status === 'active' && !ipRefused
  if (reservation.ok) {
    // A right password with a second step due is neither: the sign-in is not done yet.
    if (!ok) await recordFailure(db, reservation, clock.now())
    else if (user.two_factor_enabled) await releaseAttempt(db, reservation, clock.now())
    else await recordSuccess(db, reservation, clock.now())
  }
  if (ok && user.password_hash !== null && needsRehash(user.password_hash)) {
    await setPasswordHash(db, user.id, await hashPassword(password), now)
  }
  // A successful attempt is recorded by completeSignIn (recordSignIn), with or without a second
  // step: that is where the history is read for the new-sign-in notice, under the user's row lock.
  if (ok) return { ok: true, user }
  await recordAttempt(db, { email: key, userId: user?.id ?? null, ip: client.ip, userAgent: client.userAgent, success: false, throttled, at: now, method: 'password' })
  if (user === undefined) return { ok: false }
  if (!throttled && user.status === 'active' && ipRefused) {
    await recordEvent(db, { accountId: user.account_id, actorUserId: user.id, type: 'login.ip_refused', ip: client.ip, at: now })
    return { ok: false }
  }
  const reason = throttled ? 'throttled' : user.status !== 'active' ? 'disabled' : 'password'
  await recordEvent(db, { accountId: user.account_id, actorUserId: user.id, type: 'login.failed', ip: client.ip, details: { reason }, at: now })
  return { ok: false }
}

/** Whether the user's IP access settings (Main settings) let a client at `ip` sign in. */
export function signInAllowedFrom (user: { ip_access: 'any' | 'list', ip_allow_list: string[] }, ip: string): boolean {
  return ipAllowed({ ipAccess: user.ip_access, ipAllowList: user.ip_allow_list.join('\n') }, ip)
}

/**
 * The check of completeSignIn, whatever proved who the user is (the second
 * step comes from wherever its sender is): false, recorded as a failed
 * sign-in and audited, when the IP is outside the user's list.
 */
export async function checkSignInIp (deps: Deps, user: { id: string, account_id: string, email: string }, client: Client, method?: RecordedMethod): Promise<boolean> {
  const access = await findIpAccess(deps.db, user.id)
  if (access === undefined || signInAllowedFrom(access, client.ip)) return true
  const now = deps.clock.now()
  await recordAttempt(deps.db, { email: user.email.toLowerCase(), userId: user.id, ip: client.ip, userAgent: client.userAgent, success: false, throttled: false, at: now, method })
  await recordEvent(deps.db, { accountId: user.account_id, actorUserId: user.id, type: 'login.ip_refused', ip: client.ip, at: now })
  return false
}

/**
 * A proof that was right (an SSO link) for a user who may not sign in
 * (disabled): a failed sign-in in the history and the audit log, as a
 * disabled user's password is.
 */
export async function recordRefusedSignIn (deps: Deps, user: { id: string, account_id: string, email: string }, client: Client, method: RecordedMethod): Promise<void> {
  const now = deps.clock.now()
  await recordAttempt(deps.db, { email: user.email.toLowerCase(), userId: user.id, ip: client.ip, userAgent: client.userAgent, success: false, throttled: false, at: now, method })
  await recordEvent(deps.db, { accountId: user.account_id, actorUserId: user.id, type: 'login.failed', ip: client.ip, details: { reason: 'disabled' }, at: now })
}

/**
 * A completed sign-in (completeSignIn): last login, the sign-in history, the
 * audit log; the address's failures start again. A sign-in from an IP address
 * none of the user's earlier successful sign-ins came from gets a `new_sign_in`
 * security notice, written in the same transaction. Not at the user's first
 * recorded sign-in: with no history there is nothing it is new against (and a
 * new user would get it every time). Parallel sign-ins of one user queue on
 * the user's row (the last-login update comes first), so of two from the same
 * new address only the first is new: at most one notice. The history is
 * login_attempts, kept for the retention period: an address last used before
 * it is new again.
 */
export async function recordSignIn (deps: Deps, user: { id: string, account_id: string, email: string }, client: Client, method: RecordedMethod, service?: string): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await setLastLogin(trx, user.id, now)
    const history = await signInHistoryOf(trx, user.id, client.ip)
    await recordAttempt(trx, { email: user.email.toLowerCase(), userId: user.id, ip: client.ip, userAgent: client.userAgent, success: true, throttled: false, at: now, method, service })
    if (history.any && !history.known) await notify(deps, trx, user.id, 'new_sign_in', { at: now, ip: client.ip, browser: describeBrowser(client.userAgent) })
    await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, type: 'login.success', ip: client.ip, details: { method, service }, at: now })
  })
  // (With the password alone, logIn has already started the count again.)
  if (method !== 'password') await resetCounter(deps.db, emailRule, user.email.toLowerCase(), now)
}

export interface ResetRequestJob { email: string, ip: string }
declare module '../../lib/jobs.ts' {
  interface QueueMap { 'password-reset': ResetRequestJob }
}

/** Queued at once for every request, known address or not: the answer's timing tells nothing. */
export async function requestPasswordReset (deps: Deps, email: string, client: Client): Promise<void> {
  await deps.jobs.send('password-reset', { email: email.trim().toLowerCase().slice(0, 320), ip: client.ip })
}

/** A link for an email: from PUBLIC_URL, never from the request's Host. */
function linkTo (deps: Pick<Deps, 'config'>, pathname: string): string {
  return deps.config.linkBase + pathname
}

export function resetLink (deps: Deps, token: string): string {
  return linkTo(deps, `password/reset/${token}`)
}

/**
 * The job behind "Forgot password": queues a link for an active user, at
 * most RESETS_PER_HOUR an hour. The raw token exists only in the mail's
 * delivery, sealed; a delivery still unsent when the link expires is not sent.
 */
export async function sendPasswordReset (deps: Deps, job: ResetRequestJob): Promise<void> {
  const { db, clock } = deps
  const now = clock.now()
  const user = await findUserByEmail(db, job.email)
  if (user === undefined || user.status !== 'active') return
  if (await countRecentTokens(db, user.id, 'password_reset', addSeconds(now, -3600)) >= RESETS_PER_HOUR) return
  await db.transaction().execute(async (trx) => {
    const token = await issueToken(trx, user.id, 'password_reset', now, RESET_TTL_SECONDS)
    await notify(deps, trx, user.id, 'password_reset', { link: resetLink(deps, token) }, { expiresAt: addSeconds(now, RESET_TTL_SECONDS) })
    await recordEvent(trx, { accountId: user.account_id, actorUserId: null, targetUserId: user.id, type: 'password.reset_requested', ip: job.ip, at: now })
  })
}

const LINK_PURPOSES: TokenPurpose[] = ['password_reset', 'invite']

/** What a set-password link is for, if it is still good. */
export async function checkPasswordLink (deps: Deps, token: string): Promise<{ purpose: TokenPurpose, email: string } | undefined> {
  const now = deps.clock.now()
  for (const purpose of LINK_PURPOSES) {
    const userId = await peekToken(deps.db, token, purpose, now)
    if (userId === undefined) continue
    const user = await findUserById(deps.db, userId)
    if (user === undefined || user.status !== 'active') return undefined
    return { purpose, email: user.email }
  }
  return undefined
}

export type SetPasswordResult =
  | { ok: true }
  | { ok: false, reason: 'invalid_link' }
  | { ok: false, reason: 'invalid', errors: Record<string, MessageKey> }

/** Sets the password from a reset or invitation link; every session of the user ends. */
export async function setPasswordFromLink (deps: Deps, token: string, password: string, repeat: string, client: Client): Promise<SetPasswordResult> {
  const link = await checkPasswordLink(deps, token)
  if (link === undefined) return { ok: false, reason: 'invalid_link' }
  const errors: Record<string, MessageKey> = {}
  const rule = checkNewPassword(password, link.email)
  if (rule !== undefined) errors.password = rule
  else if (password !== repeat) errors.password_repeat = 'error.passwordMismatch'
  if (Object.keys(errors).length > 0) return { ok: false, reason: 'invalid', errors }

  const hash = await hashPassword(password)
  const now = deps.clock.now()
  const done = await deps.db.transaction().execute(async (trx) => {
    const userId = await consumeToken(trx, token, link.purpose, now)
    if (userId === undefined) return undefined
    const user = await findUserById(trx, userId)
    if (user === undefined || user.status !== 'active') return undefined
    await setPasswordHash(trx, userId, hash, now)
    await revokeTokens(trx, userId, 'password_reset', now)
    await endUserSessions(trx, userId)
    await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, type: link.purpose === 'invite' ? 'password.set_from_invite' : 'password.reset', ip: client.ip, at: now })
    if (link.purpose === 'password_reset') {
      await notify(deps, trx, user.id, 'password_changed', { at: now, ip: client.ip })
    }
    return user
  })
  return done === undefined ? { ok: false, reason: 'invalid_link' } : { ok: true }
}

/** A link for a new user to set a first password (provider CLI). */
export async function issueInviteLink (deps: Pick<Deps, 'db' | 'clock' | 'config'>, userId: string): Promise<string> {
  const token = await issueToken(deps.db, userId, 'invite', deps.clock.now(), INVITE_TTL_SECONDS)
  return linkTo(deps, `password/reset/${token}`)
}
