// One-time passwords (SECURITY.md, TOTP). Guarantees:
// - TOTP SHA-1, 6 digits, 30 s, window ±1 step, on the injected clock;
// - a time step is accepted once: the last accepted step is stored and any
//   step at or below it is refused (one conditional UPDATE, so of two
//   requests with one code exactly one wins); a replay is audited and mailed
//   but not counted as a wrong code (it is a right one, used);
// - recovery codes: 10 × 16 base32 characters, stored as SHA-256, single use;
// - wrong codes, counted per user across the login step and confirmations
//   on the limit counters (lib/limits.ts), each attempt reserved before the
//   code is checked: 5 in a row lock for 15 minutes, doubling with each lock
//   in 24 hours; at most 20 a day; a locked user is refused even with a
//   right code; every lock is audited and mailed;
// - the secret is 20 random bytes, sealed with AES-GCM at rest.
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import * as OTPAuth from 'otpauth'
import type { DB } from '../../db/schema.ts'
import { recordEvent } from '../../lib/events.ts'
import { notify } from '../../lib/deliveries/index.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { deleteCounters, type LimitRule, recordFailure, recordSuccess, releaseAttempt, type Reserved, reserveAttempt } from '../../lib/limits.ts'
import { seal, unseal } from '../../lib/sealed.ts'
import { sha256 } from '../../lib/tokens.ts'
import type { Deps } from '../../types.ts'
import { acceptTotpStep, deleteRecoveryCodes, insertRecoveryCodes, lockTotpUser, useRecoveryCode } from './queries.ts'

export const STEP_SECONDS = 30
export const WINDOW = 1
export const STREAK_LIMIT = 5
export const LOCK_MINUTES = 15
export const DAILY_LIMIT = 20
export const RECOVERY_CODES = 10

/** 5 wrong codes in a row lock for 15 minutes, doubling with each lock in 24 hours. */
export const streakRule: LimitRule = {
  kind: 'otp.streak',
  limit: STREAK_LIMIT,
  windowSeconds: null,
  lock: { seconds: LOCK_MINUTES * 60, doublingWithinSeconds: 24 * 3600 },
  onSuccess: 'reset'
}
/** At most 20 wrong codes in a day. */
export const dailyRule: LimitRule = { kind: 'otp.day', limit: DAILY_LIMIT, windowSeconds: 24 * 3600, onSuccess: 'release' }
export const otpRules = [streakRule, dailyRule]

export type OtpResult = { ok: true, method: 'totp' | 'recovery' } | { ok: false, reason: OtpFailure }
export type OtpFailure = 'format' | 'wrong' | 'replay' | 'locked' | 'not_enabled'

const otpMessages: Record<OtpFailure, MessageKey> = {
  format: 'error.otpFormat',
  wrong: 'error.otpWrong',
  replay: 'error.otpReplay',
  locked: 'error.otpLocked',
  not_enabled: 'error.otpWrong'
}

/** What a form says beside the field when a code is refused. */
export function otpError (reason: OtpFailure): MessageKey {
  return otpMessages[reason]
}

export function newSecret (): string {
  return new OTPAuth.Secret({ size: 20 }).base32
}

export function totpFor (secretBase32: string, label: string, issuer: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: STEP_SECONDS, secret: OTPAuth.Secret.fromBase32(secretBase32) })
}

export function sealSecret (deps: Pick<Deps, 'keys'>, secret: string): string {
  return seal(deps.keys.totp, secret)
}

export function openSecret (deps: Pick<Deps, 'keys'>, sealed: string): string {
  return unseal<string>(deps.keys.totp, sealed)
}

/** The time step a code is valid for, or undefined: ±WINDOW steps around now. */
export function matchStep (secretBase32: string, code: string, now: Date): number | undefined {
  const delta = totpFor(secretBase32, 'x', 'x').validate({ token: code, timestamp: now.getTime(), window: WINDOW })
  return delta === null ? undefined : Math.floor(now.getTime() / 1000 / STEP_SECONDS) + delta
}

export function newRecoveryCodes (): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  return Array.from({ length: RECOVERY_CODES }, () => [...randomBytes(16)].map((b) => alphabet[b % 32]).join(''))
}

export async function storeRecoveryCodes (trx: Kysely<DB>, userId: string, codes: string[], now: Date): Promise<void> {
  await deleteRecoveryCodes(trx, userId)
  await insertRecoveryCodes(trx, userId, codes.map(sha256), now)
}

/** "ABCD EFGH IJKL MNOP", for reading. */
export function formatRecoveryCode (code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ')
}

interface Subject { id: string, account_id: string }

/** A wrong code stays counted; at the streak limit (or the daily cap) the user is locked, audited and mailed. */
async function countFailure (deps: Deps, trx: Kysely<DB>, user: Subject, reserved: Reserved, ip: string, now: Date, reason: string): Promise<void> {
  await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, type: 'totp.failed', ip, details: { reason }, at: now })
  const until = await recordFailure(trx, reserved, now)
  if (until === undefined) return
  const minutes = Math.ceil((until.getTime() - now.getTime()) / 60_000)
  await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, type: 'totp.locked', ip, details: { minutes }, at: now })
  await notify(deps, trx, user.id, 'otp_locked', { minutes })
}

/** Forgets a user's wrong-code streak, locks and daily count (2FA turned off or reset by the provider). */
export async function clearOtpLimits (db: Kysely<DB>, userId: string): Promise<void> {
  await deleteCounters(db, otpRules, userId)
}

/**
 * Checks a One-time password (or, where allowed, a recovery code) of the
 * user and uses it up. Wrong codes and replays count towards the lock.
 */
export async function verifySecondFactor (deps: Deps, userId: string, input: string, opts: { allowRecovery: boolean, ip: string }): Promise<OtpResult> {
  const now = deps.clock.now()
  const code = input.replace(/[\s-]/g, '').toUpperCase()
  const isTotp = /^\d{6}$/.test(code)
  const isRecovery = opts.allowRecovery && /^[A-Z2-7]{16}$/.test(code)
  if (!isTotp && !isRecovery) return { ok: false, reason: 'format' }
  return await deps.db.transaction().execute(async (trx): Promise<OtpResult> => {
    // The user's row lock puts the checks of one user in a line; the attempt is
    // reserved on the counters before the code is looked at.
    const user = await lockTotpUser(trx, userId)
    if (user === undefined || !user.two_factor_enabled || user.totp_secret === null) return { ok: false, reason: 'not_enabled' }
    const reserved = await reserveAttempt(trx, otpRules.map((rule) => ({ rule, key: user.id })), now)
    if (!reserved.ok) {
      await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, type: 'totp.refused_locked', ip: opts.ip, at: now })
      return { ok: false, reason: 'locked' }
    }
    if (isTotp) {
      const step = matchStep(openSecret(deps, user.totp_secret), code, now)
      if (step !== undefined) {
        const accepted = await acceptTotpStep(trx, user.id, step)
        if (accepted !== undefined) {
          await recordSuccess(trx, reserved, now)
          return { ok: true, method: 'totp' }
        }
        // A right code whose step is used (the same code posted twice at once,
        // or replayed): refused as used, not counted towards a lock.
        await releaseAttempt(trx, reserved, now)
        await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, type: 'totp.replay', ip: opts.ip, at: now })
        await notify(deps, trx, user.id, 'otp_replay', {})
        return { ok: false, reason: 'replay' }
      }
    } else {
      const used = await useRecoveryCode(trx, user.id, sha256(code), now)
      if (used !== undefined) {
        await recordSuccess(trx, reserved, now)
        await recordEvent(trx, { accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, type: 'totp.recovery_code_used', ip: opts.ip, at: now })
        return { ok: true, method: 'recovery' }
      }
    }
    await countFailure(deps, trx, user, reserved, opts.ip, now, isTotp ? 'wrong_code' : 'wrong_recovery_code')
    return { ok: false, reason: 'wrong' }
  })
}
