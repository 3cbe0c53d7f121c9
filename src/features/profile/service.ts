// Client → Profile: full name and password (SPEC §3).
import { notify } from '../../lib/deliveries/index.ts'
import { recordEvent } from '../../lib/events.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { FieldErrors } from '../../lib/forms.ts'
import { normalizeName } from '../../lib/forms.ts'
import { type LimitRule, recordFailure, recordSuccess, reserveAttempt } from '../../lib/limits.ts'
import { checkNewPassword, hashPassword, verifyPassword } from '../../lib/passwords.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import type { Deps } from '../../types.ts'
import { otpError, verifySecondFactor } from '../two-factor/index.ts'
import { findPasswordHash, setFullName, setPasswordHash, usePasswordResetLinks } from './queries.ts'

export interface Client { ip: string }
export type FormOutcome = { ok: true } | { ok: false, errors: FieldErrors }

/** Wrong current passwords allowed in the window before the form refuses to check more. */
export const PASSWORD_CHECKS_PER_WINDOW = 5
export const PASSWORD_CHECK_WINDOW_SECONDS = 15 * 60
/** 5 wrong current passwords in 15 minutes lock the form for 15 minutes (lib/limits.ts). */
export const currentPasswordRule: LimitRule = {
  kind: 'password.current',
  limit: PASSWORD_CHECKS_PER_WINDOW,
  windowSeconds: PASSWORD_CHECK_WINDOW_SECONDS,
  lock: { seconds: PASSWORD_CHECK_WINDOW_SECONDS, doublingWithinSeconds: 0 },
  onSuccess: 'release'
}

/** The first user's name is a provider operation; everyone else changes their own. */
export async function changeName (deps: Deps, user: CurrentUser, raw: string, client: Client): Promise<FormOutcome | { ok: false, forbidden: true }> {
  if (user.isOwner) return { ok: false, forbidden: true }
  const name = normalizeName(raw)
  if (name === undefined) return { ok: false, errors: { full_name: raw.trim() === '' ? 'error.required' : 'error.name' } }
  if (name === user.fullName) return { ok: true }
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await setFullName(trx, user.id, name, now)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'profile.name_changed', ip: client.ip, at: now })
  })
  return { ok: true }
}

/**
 * Current password + new password twice. On success every other session of
 * the user ends (the caller renews this one) and a notice is mailed.
 */
export async function changePassword (deps: Deps, user: CurrentUser, input: { current: string, next: string, repeat: string, otp: string }, currentSessionId: string, client: Client): Promise<FormOutcome> {
  const { db, clock } = deps
  const now = clock.now()
  const errors: FieldErrors = {}
  if (input.current === '') errors.current_password = 'error.required'
  const rule = checkNewPassword(input.next, user.email)
  if (rule !== undefined) errors.new_password = rule
  else if (input.next !== input.repeat) errors.new_password_repeat = 'error.passwordMismatch'
  if (errors.current_password === undefined) {
    // Counted before the check, so that parallel guesses cannot all be checked.
    const reserved = await reserveAttempt(db, [{ rule: currentPasswordRule, key: user.id }], now)
    if (!reserved.ok) return { ok: false, errors: { current_password: 'error.tooManyTries' } }
    if (await verifyPassword(await findPasswordHash(db, user.id), input.current)) {
      await recordSuccess(db, reserved, clock.now())
    } else {
      errors.current_password = 'error.currentPassword'
      await recordFailure(db, reserved, clock.now())
      await recordEvent(db, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'password.change_failed', ip: client.ip, at: now })
    }
  }
  // With 2FA the change is re-confirmed with a One-time password too (checked
  // only after the right current password, so a guess cannot burn codes).
  if (user.twoFactor && Object.keys(errors).length === 0) {
    const otp = await verifySecondFactor(deps, user.id, input.otp, { allowRecovery: false, ip: client.ip })
    if (!otp.ok) errors.otp = otpError(otp.reason)
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors }

  const hash = await hashPassword(input.next)
  await db.transaction().execute(async (trx) => {
    await setPasswordHash(trx, user.id, hash, now)
    await endUserSessions(trx, user.id, { except: currentSessionId })
    await usePasswordResetLinks(trx, user.id, now)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'password.changed', ip: client.ip, at: now })
    await notify(deps, trx, user.id, 'password_changed', { at: now, ip: client.ip })
  })
  return { ok: true }
}
