// Provider operations on accounts (CLI now, provider API later).
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { recordEvent } from '../../lib/events.ts'
import { normalizeEmail, normalizeName } from '../../lib/forms.ts'
import { checkNewPassword, hashPassword } from '../../lib/passwords.ts'
import { findUserByEmail } from '../auth/queries.ts'

export type CreateAccountResult =
  | { ok: true, accountId: string, userId: string }
  | { ok: false, error: string }

/** A new account with its first user (the owner); active at once when a password is given. */
export async function createAccount (db: Kysely<DB>, input: { email: string, name: string, password?: string }, now: Date): Promise<CreateAccountResult> {
  const email = normalizeEmail(input.email)
  if (email === undefined) return { ok: false, error: `--email: "${input.email}" is not an email address` }
  const name = normalizeName(input.name)
  if (name === undefined) return { ok: false, error: '--name: give a full name of 1 to 200 characters on one line' }
  let hash: string | null = null
  if (input.password !== undefined) {
    const rule = checkNewPassword(input.password, email)
    if (rule !== undefined) return { ok: false, error: `--password: ${passwordRuleText[rule] ?? rule}` }
    hash = await hashPassword(input.password)
  }
  if (await findUserByEmail(db, email) !== undefined) return { ok: false, error: `--email: ${email} is already used by another user` }
  return await db.transaction().execute(async (trx) => {
    const account = await trx.insertInto('accounts').defaultValues().returning('id').executeTakeFirstOrThrow()
    const user = await trx.insertInto('users').values({
      account_id: account.id, email, full_name: name, password_hash: hash, is_owner: true
    }).returning('id').executeTakeFirstOrThrow()
    await recordEvent(trx, { accountId: account.id, actorUserId: null, targetUserId: user.id, type: 'account.created', ip: null, details: { by: 'provider' }, at: now })
    return { ok: true as const, accountId: account.id, userId: user.id }
  })
}

const passwordRuleText: Record<string, string> = {
  'error.passwordShort': 'use at least 12 characters',
  'error.passwordLong': 'use at most 128 characters',
  'error.passwordCommon': 'this password is too common',
  'error.passwordEmail': 'the password must not be the email'
}
