// SMS verification codes (SECURITY.md, Codes and tokens). Guarantees:
// - 6 digits from crypto.randomInt; the client never chooses a code;
// - one live code per user and purpose; a new one replaces the old;
// - only HMAC(user, purpose, destination, code) is stored, compared in
//   constant time: a code is good only for the user, purpose and number it
//   was sent for;
// - valid CODE_TTL_SECONDS, single use, MAX_ATTEMPTS wrong tries burn it:
//   each try is counted on the code before it is compared, so parallel
//   tries get at most MAX_ATTEMPTS comparisons;
// - resends at most once a minute and SENDS_PER_HOUR an hour, per user and
//   per number, decided and recorded under advisory locks on the user and
//   the number, so parallel requests cannot both pass; the first code of a purpose or for a new number is not a
//   resend (it is held only to the number's hourly cap and to
//   USER_CODES_PER_HOUR, against SMS pumping);
// - two requests with the same code: the conditional UPDATE lets one win;
// - the SMS goes through the deliveries: the code rests sealed (AES-GCM) in
//   its row, the job carries only a reference; an SMS still unsent when the
//   code expires is not sent.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { addSeconds } from '../../lib/clock.ts'
import { notifyAddress } from '../../lib/deliveries/index.ts'
import type { Language } from '../../lib/i18n.ts'
import type { Deps } from '../../types.ts'
import { countCodeAttempt, countCodeSends, findCode, findLiveCode, findRecentSend, insertCodeSend, lockCodeIssuer, markCodeUsed, upsertCode } from './queries.ts'

export const CODE_TTL_SECONDS = 300
export const MAX_ATTEMPTS = 5
export const RESEND_INTERVAL_SECONDS = 60
export const SENDS_PER_HOUR = 5
/** Every code of a user in an hour, all purposes and numbers: stops one account from pumping SMS to many numbers. */
export const USER_CODES_PER_HOUR = 10

export type CodePurpose = 'phone_verify' | 'phone_change'

export type IssueResult = { ok: true } | { ok: false, reason: 'too_soon' | 'too_many' }
export type CheckResult = { ok: true } | { ok: false, reason: 'format' | 'no_code' | 'expired' | 'burned' | 'wrong' }

function codeHmac (key: Buffer, userId: string, purpose: CodePurpose, destination: string, code: string): string {
  return createHmac('sha256', key).update(`${userId}\n${purpose}\n${destination}\n${code}`).digest('hex')
}

/** Sends a new code for the purpose to the number, within the resend limits. */
export async function issueCode (deps: Deps, userId: string, purpose: CodePurpose, destination: string, lang: Language): Promise<IssueResult> {
  const now = deps.clock.now()
  const hourAgo = addSeconds(now, -3600)
  return await deps.db.transaction().execute(async (trx) => {
    // One issuer at a time per user and per number, so parallel requests cannot both pass the limits.
    await lockCodeIssuer(trx, userId, destination)
    const samePurpose = await findRecentSend(trx, userId, purpose, destination, hourAgo)
    const byUser = await countCodeSends(trx, 'user_id', userId, hourAgo)
    const byNumber = await countCodeSends(trx, 'destination', destination, hourAgo)
    const isResend = samePurpose !== undefined
    const recent = (last: Date | string | null) => last !== null && now.getTime() - new Date(last).getTime() < RESEND_INTERVAL_SECONDS * 1000
    // A resend waits a minute and counts against both hourly caps; the first
    // code of a purpose only against the number's (no flooding a number from many accounts).
    if (isResend && (recent(byUser.last) || recent(byNumber.last))) return { ok: false as const, reason: 'too_soon' as const }
    if (Number(byNumber.n) >= SENDS_PER_HOUR || Number(byUser.n) >= USER_CODES_PER_HOUR || (isResend && Number(byUser.n) >= SENDS_PER_HOUR)) {
      return { ok: false as const, reason: 'too_many' as const }
    }

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const row = {
      destination,
      code_hmac: codeHmac(deps.keys.codes, userId, purpose, destination, code),
      attempts: 0,
      created_at: now,
      expires_at: addSeconds(now, CODE_TTL_SECONDS),
      used_at: null
    }
    await upsertCode(trx, userId, purpose, row)
    await insertCodeSend(trx, userId, purpose, destination, now)
    await notifyAddress(deps, trx, { channel: 'sms', address: destination, userId, language: lang }, 'phone_code',
      { code, minutes: CODE_TTL_SECONDS / 60 }, { expiresAt: row.expires_at })
    return { ok: true as const }
  })
}

/** The 6 digits of a code as typed (spaces dropped), or undefined when it is not one. */
export function codeDigits (input: string): string | undefined {
  const code = input.replace(/\s/g, '')
  return /^\d{6}$/.test(code) ? code : undefined
}

/**
 * Checks and uses up the code; run it in the transaction that applies what
 * the code allows, so that the effect happens only with the code used.
 * The try is counted on the code before the comparison (a conditional
 * UPDATE … RETURNING), so that of any number of parallel tries at most
 * MAX_ATTEMPTS are compared.
 */
export async function useCode (deps: Pick<Deps, 'clock' | 'keys'>, trx: Kysely<DB>, userId: string, purpose: CodePurpose, destination: string, input: string): Promise<CheckResult> {
  const code = codeDigits(input)
  if (code === undefined) return { ok: false, reason: 'format' }
  const now = deps.clock.now()
  const reserved = await countCodeAttempt(trx, userId, purpose, destination, now, MAX_ATTEMPTS)
  if (reserved === undefined) return { ok: false, reason: await whyRefused(trx, userId, purpose, destination, now) }
  const expected = Buffer.from(reserved.code_hmac, 'hex')
  const given = Buffer.from(codeHmac(deps.keys.codes, userId, purpose, destination, code), 'hex')
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: reserved.attempts >= MAX_ATTEMPTS ? 'burned' : 'wrong' }
  // The right code: used once, even by two tries that both compared it.
  const used = await markCodeUsed(trx, userId, purpose, reserved.code_hmac, now)
  return used === undefined ? { ok: false, reason: 'no_code' } : { ok: true }
}

/** Why no try could be counted on the code, for the message. */
async function whyRefused (trx: Kysely<DB>, userId: string, purpose: CodePurpose, destination: string, now: Date): Promise<Exclude<CheckResult, { ok: true }>['reason']> {
  const row = await findCode(trx, userId, purpose)
  if (row === undefined || row.used_at !== null || row.destination !== destination) return 'no_code'
  if (row.attempts >= MAX_ATTEMPTS) return 'burned'
  if (new Date(row.expires_at).getTime() <= now.getTime()) return 'expired'
  return 'no_code'
}

/** Whether a code for this purpose and number is still live: unused, unexpired and not burned by wrong tries. */
export async function hasLiveCode (db: Kysely<DB>, userId: string, purpose: CodePurpose, phone: string, now: Date): Promise<boolean> {
  return await findLiveCode(db, userId, purpose, phone, now, MAX_ATTEMPTS) !== undefined
}
