// Provider operation: a new account with its first user (the owner).
import { recordEvent } from '../../lib/events.ts'
import { normalizeEmail, normalizeName } from '../../lib/forms.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { checkNewPassword, hashPassword } from '../../lib/passwords.ts'
import { issueInviteLink } from '../auth/index.ts'
import { emailTaken, insertAccount, insertOwner, isEmailTakenError } from './queries.ts'
import type { CreateAccountResult, PasswordRule, ProviderCaller, ProviderDeps } from './results.ts'

const passwordRules: Partial<Record<MessageKey, PasswordRule>> = {
  'error.passwordShort': 'too_short',
  'error.passwordLong': 'too_long',
  'error.passwordCommon': 'common',
  'error.passwordEmail': 'same_as_email'
}

function ruleOf (key: MessageKey): PasswordRule {
  const rule = passwordRules[key]
  if (rule === undefined) throw new Error(`checkNewPassword returned ${key}, which has no PasswordRule`)
  return rule
}

/**
 * With a password the owner is active at once; without one the result
 * carries a single-use link to set it (issued in the same transaction, so
 * there is never an account whose owner cannot get in).
 */
export async function createAccount (deps: ProviderDeps, input: { email: string, name: string, password?: string }, caller: ProviderCaller = { ip: null }): Promise<CreateAccountResult> {
  const email = normalizeEmail(input.email)
  if (email === undefined) return { ok: false, reason: 'invalid_email' }
  const name = normalizeName(input.name)
  if (name === undefined) return { ok: false, reason: 'invalid_name' }
  let hash: string | null = null
  if (input.password !== undefined) {
    const broken = checkNewPassword(input.password, email)
    if (broken !== undefined) return { ok: false, reason: 'weak_password', rule: ruleOf(broken) }
    hash = await hashPassword(input.password)
  }
  if (await emailTaken(deps.db, email)) return { ok: false, reason: 'email_taken' }
  const now = deps.clock.now()
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const account = await insertAccount(trx)
      const user = await insertOwner(trx, account.id, email, name, hash)
      await recordEvent(trx, { accountId: account.id, actorUserId: null, targetUserId: user.id, type: 'account.created', ip: caller.ip, details: { by: 'provider' }, at: now })
      const created = { ok: true as const, accountId: account.id, userId: user.id }
      return hash !== null ? created : { ...created, inviteUrl: await issueInviteLink({ ...deps, db: trx }, user.id) }
    })
  } catch (err) {
    // Another account took the address between the check and the insert.
    if (isEmailTakenError(err)) return { ok: false, reason: 'email_taken' }
    throw err
  }
}
