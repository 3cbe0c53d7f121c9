// Client → User settings → Two-factor authentication (SPEC §4.5).
import { notify } from '../../lib/deliveries/index.ts'
import { recordEvent } from '../../lib/events.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import { sha256 } from '../../lib/tokens.ts'
import type { Deps } from '../../types.ts'
import { checkPasswordCounted } from './confirm.ts'
import { clearOtpLimits, matchStep, newRecoveryCodes, openSecret, otpError, storeRecoveryCodes, verifySecondFactor } from './otp.ts'
import { deleteRecoveryCodes, disableTotp, enableTotp, findAccountId, findLiveRecoveryCodeHashes } from './queries.ts'

interface Client { ip: string }

/** The One-time password typed on the Enable page, checked against the key shown there (nothing used up): its time step, or the message beside the field. */
export function checkSetupCode (deps: Pick<Deps, 'keys'>, sealedSecret: string, code: string, now: Date): { ok: true, step: number } | { ok: false, error: MessageKey } {
  const digits = code.replace(/\s/g, '')
  if (!/^\d{6}$/.test(digits)) return { ok: false, error: 'error.otpFormat' }
  const step = matchStep(openSecret(deps, sealedSecret), digits, now)
  return step === undefined ? { ok: false, error: 'error.otpWrong' } : { ok: true, step }
}

/** Enable: the code from the app proves the key was read; then 10 recovery codes, shown once. */
export async function enableTwoFactor (deps: Deps, user: CurrentUser, sealedSecret: string, code: string, client: Client): Promise<{ ok: true, codes: string[] } | { ok: false, error: MessageKey }> {
  const now = deps.clock.now()
  const checked = checkSetupCode(deps, sealedSecret, code, now)
  if (!checked.ok) return checked
  const step = checked.step
  const codes = newRecoveryCodes()
  const done = await deps.db.transaction().execute(async (trx) => {
    const updated = await enableTotp(trx, user.id, sealedSecret, step, now)
    if (updated === undefined) return false
    await storeRecoveryCodes(trx, user.id, codes, now)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'totp.enabled', ip: client.ip, at: now })
    // The security notice is written with the change: it exists exactly when the change does.
    await notify(deps, trx, user.id, 'totp_enabled', { at: now, ip: client.ip })
    return true
  })
  return done ? { ok: true, codes } : { ok: false, error: 'error.otpAlreadyOn' }
}

/** Disable needs the One-time password and the password. */
export async function disableTwoFactor (deps: Deps, user: CurrentUser, password: string, code: string, client: Client): Promise<{ ok: true } | { ok: false, errors: Record<string, MessageKey> }> {
  const errors: Record<string, MessageKey> = {}
  // The password check is reserved on the re-confirmation counter first, so that parallel guesses cannot all be checked.
  const checked = await checkPasswordCounted(deps, user.id, password)
  const passwordOk = checked === 'right'
  if (!passwordOk) errors.password = checked === 'refused' ? 'error.tooManyTries' : password === '' ? 'error.required' : 'error.currentPassword'
  // The code is checked only with the right password, so that a password guess cannot burn codes.
  if (passwordOk) {
    const otp = await verifySecondFactor(deps, user.id, code, { allowRecovery: false, ip: client.ip })
    if (!otp.ok) errors.code = otpError(otp.reason)
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  await turnOff(deps, user.id, user.accountId, user.id, client.ip, 'totp.disabled')
  return { ok: true }
}

type TurnOffDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'jobs' | 'keys'>

async function turnOff (deps: TurnOffDeps, userId: string, accountId: string, actorId: string | null, ip: string | null, type: 'totp.disabled' | 'totp.reset_by_provider', endSessions = false): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await disableTotp(trx, userId, now)
    await deleteRecoveryCodes(trx, userId)
    await clearOtpLimits(trx, userId) // a lock running at a reset does not outlast it
    if (endSessions) await endUserSessions(trx, userId) // half-finished sign-ins too
    await recordEvent(trx, { accountId, actorUserId: actorId, targetUserId: userId, type, ip, at: now })
    // The provider's reset has its own notice, whatever IP its API was called from.
    if (type === 'totp.disabled' && ip !== null) await notify(deps, trx, userId, 'totp_disabled', { at: now, ip })
    else await notify(deps, trx, userId, 'totp_reset', { at: now })
  })
}

/** New recovery codes replace all the old ones. */
export async function regenerateRecoveryCodes (deps: Deps, user: CurrentUser, client: Client): Promise<string[]> {
  const codes = newRecoveryCodes()
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await storeRecoveryCodes(trx, user.id, codes, now)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'totp.recovery_codes_regenerated', ip: client.ip, at: now })
    await notify(deps, trx, user.id, 'totp_codes_regenerated', { at: now, ip: client.ip })
  })
  return codes
}

/** The codes among these that are the user's and still unused (for the download). */
export async function liveRecoveryCodes (deps: Deps, userId: string, codes: string[]): Promise<string[]> {
  const normalized = codes.map((c) => c.replace(/[\s-]/g, '').toUpperCase()).filter((c) => /^[A-Z2-7]{16}$/.test(c))
  if (normalized.length === 0) return []
  const live = new Set(await findLiveRecoveryCodeHashes(deps.db, userId, normalized.map(sha256)))
  return normalized.filter((c) => live.has(sha256(c)))
}

/** Provider operation: a user who lost their authenticator and recovery codes. False: no such user. */
export async function resetTwoFactorByProvider (deps: TurnOffDeps, userId: string, caller: { ip: string | null }): Promise<boolean> {
  const accountId = await findAccountId(deps.db, userId)
  if (accountId === undefined) return false
  await turnOff(deps, userId, accountId, null, caller.ip, 'totp.reset_by_provider', true)
  return true
}
