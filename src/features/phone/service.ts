// Client → Profile → Phone number (SPEC §3). A number is saved Not verified;
// Verify sends a code to it; Edit on a verified number first needs a code
// sent to that (old) number, which clears the field; then the new number is
// saved and verified the same way.
import { recordEvent } from '../../lib/events.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { normalizePhone } from '../../lib/phone.ts'
import type { Deps } from '../../types.ts'
import { codeDigits, issueCode, useCode, type CheckResult, type CodePurpose, type IssueResult } from './codes.ts'
import { clearPhone, dropCodes, findPhone, markPhoneVerified, removePhone, setPhone } from './queries.ts'

export interface Client { ip: string }

export type PhoneResult =
  | { ok: true, phone?: string }
  | { ok: false, field: 'phone' | 'code', error: MessageKey }

const checkErrors: Record<Exclude<CheckResult, { ok: true }>['reason'], MessageKey> = {
  format: 'error.codeFormat',
  no_code: 'error.codeMissing',
  expired: 'error.codeExpired',
  burned: 'error.codeBurned',
  wrong: 'error.codeWrong'
}

const issueErrors: Record<Exclude<IssueResult, { ok: true }>['reason'], MessageKey> = {
  too_soon: 'error.codeTooSoon',
  too_many: 'error.codeTooMany'
}

async function currentPhone (deps: Deps, userId: string): Promise<{ phone: string | null, verified: boolean }> {
  const row = await findPhone(deps.db, userId)
  return { phone: row.phone, verified: row.phone_verified }
}

/** The number typed in the form, in E.164, or the message beside the field. */
export function parsePhoneInput (raw: string, region: string | undefined): { ok: true, phone: string } | { ok: false, error: MessageKey } {
  const phone = normalizePhone(raw, region)
  if (phone === undefined) return { ok: false, error: raw.trim() === '' ? 'error.required' : 'error.phone' }
  return { ok: true, phone }
}

/** The message beside a code typed in the form that is no code at all (not 6 digits), else undefined. */
export function codeInputError (code: string): MessageKey | undefined {
  return codeDigits(code) === undefined ? checkErrors.format : undefined
}

/** Saves a new number as Not verified. A verified number must go through Edit first. */
export async function savePhone (deps: Deps, user: CurrentUser, raw: string, client: Client): Promise<PhoneResult> {
  const parsed = parsePhoneInput(raw, deps.config.phoneDefaultRegion)
  if (!parsed.ok) return { ok: false, field: 'phone', error: parsed.error }
  const phone = parsed.phone
  const now = deps.clock.now()
  const changed = await deps.db.transaction().execute(async (trx) => {
    const updated = await setPhone(trx, user.id, phone, now)
    if (updated === undefined) return false
    await dropCodes(trx, user.id)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'phone.set', ip: client.ip, personal: { phone }, at: now })
    return true
  })
  if (changed) return { ok: true, phone }
  const { phone: now_, verified } = await currentPhone(deps, user.id)
  if (verified) return { ok: false, field: 'phone', error: 'error.phoneEditFirst' }
  return now_ === phone ? { ok: true, phone } : { ok: false, field: 'phone', error: 'error.phone' }
}

async function sendCode (deps: Deps, user: CurrentUser, purpose: CodePurpose, mustBeVerified: boolean, client: Client): Promise<PhoneResult> {
  const { phone, verified } = await currentPhone(deps, user.id)
  if (phone === null || verified !== mustBeVerified) return { ok: false, field: 'code', error: 'error.codeMissing' }
  const issued = await issueCode(deps, user.id, purpose, phone, user.language)
  if (!issued.ok) return { ok: false, field: 'code', error: issueErrors[issued.reason] }
  await recordEvent(deps.db, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'phone.code_sent', ip: client.ip, details: { purpose }, personal: { phone }, at: deps.clock.now() })
  return { ok: true, phone }
}

/** Verify: a code to the not yet verified number. */
export function sendVerificationCode (deps: Deps, user: CurrentUser, client: Client): Promise<PhoneResult> {
  return sendCode(deps, user, 'phone_verify', false, client)
}

/** Edit: a code to the verified (old) number. */
export function sendEditCode (deps: Deps, user: CurrentUser, client: Client): Promise<PhoneResult> {
  return sendCode(deps, user, 'phone_change', true, client)
}

async function confirm (deps: Deps, user: CurrentUser, purpose: CodePurpose, code: string, client: Client): Promise<PhoneResult> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const row = await findPhone(trx, user.id, { lock: true })
    const expectVerified = purpose === 'phone_change'
    if (row.phone === null || row.phone_verified !== expectVerified) return { ok: false as const, field: 'code' as const, error: 'error.codeMissing' as const }
    const used = await useCode(deps, trx, user.id, purpose, row.phone, code)
    if (!used.ok) {
      await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'phone.code_failed', ip: client.ip, details: { purpose, reason: used.reason }, at: now })
      return { ok: false as const, field: 'code' as const, error: checkErrors[used.reason] }
    }
    if (purpose === 'phone_verify') {
      await markPhoneVerified(trx, user.id, row.phone, now)
    } else {
      await clearPhone(trx, user.id, row.phone, now)
      await dropCodes(trx, user.id)
    }
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: purpose === 'phone_verify' ? 'phone.verified' : 'phone.cleared', ip: client.ip, personal: { phone: row.phone }, at: now })
    return { ok: true as const, phone: row.phone }
  })
}

export function confirmVerification (deps: Deps, user: CurrentUser, code: string, client: Client): Promise<PhoneResult> {
  return confirm(deps, user, 'phone_verify', code, client)
}

export function confirmEdit (deps: Deps, user: CurrentUser, code: string, client: Client): Promise<PhoneResult> {
  return confirm(deps, user, 'phone_change', code, client)
}

/** Provider operation: a verified number the user can no longer reach. */
export async function removePhoneByProvider (deps: Pick<Deps, 'db' | 'clock'>, userId: string, caller: { ip: string | null }): Promise<boolean> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const row = await removePhone(trx, userId, now)
    if (row === undefined) return false
    await dropCodes(trx, userId)
    await recordEvent(trx, { accountId: row.account_id, actorUserId: null, targetUserId: userId, type: 'phone.removed_by_provider', ip: caller.ip, at: now })
    return true
  })
}
