// Two-factor queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { EraseStep } from '../../lib/personal-data.ts'

export async function countLiveRecoveryCodes (db: Kysely<DB>, userId: string): Promise<number> {
  const row = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The unused recovery codes of the user among these hashes. */
export async function findLiveRecoveryCodeHashes (db: Kysely<DB>, userId: string, codeHashes: string[]): Promise<string[]> {
  const rows = await db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', userId).where('used_at', 'is', null)
    .where('code_hash', 'in', codeHashes).execute()
  return rows.map((r) => r.code_hash)
}

export async function deleteRecoveryCodes (db: Kysely<DB>, userId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
}

export async function insertRecoveryCodes (db: Kysely<DB>, userId: string, codeHashes: string[], now: Date): Promise<void> {
  await db.insertInto('recovery_codes').values(codeHashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash, created_at: now }))).execute()
}

/** Uses up an unused recovery code: the user's id, or undefined when there is no such unused code. */
export async function useRecoveryCode (db: Kysely<DB>, userId: string, codeHash: string, now: Date): Promise<{ user_id: string } | undefined> {
  return await db.updateTable('recovery_codes').set({ used_at: now })
    .where('user_id', '=', userId).where('code_hash', '=', codeHash).where('used_at', 'is', null)
    .returning('user_id').executeTakeFirst()
}

/** Turns 2FA on with this secret, only if it is off: the user's id, or undefined. */
export async function enableTotp (db: Kysely<DB>, userId: string, sealedSecret: string, step: number, now: Date): Promise<{ id: string } | undefined> {
  return await db.updateTable('users')
    .set({ totp_secret: sealedSecret, two_factor_enabled: true, totp_last_step: String(step), updated_at: now })
    .where('id', '=', userId).where('two_factor_enabled', '=', false).returning('id').executeTakeFirst()
}

export async function disableTotp (db: Kysely<DB>, userId: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ totp_secret: null, two_factor_enabled: false, totp_last_step: null, updated_at: now })
    .where('id', '=', userId).execute()
}

/** The user's 2FA state, the row locked FOR UPDATE until the caller's transaction ends. */
export async function lockTotpUser (db: Kysely<DB>, userId: string) {
  return await db.selectFrom('users')
    .select(['id', 'account_id', 'totp_secret', 'two_factor_enabled'])
    .where('id', '=', userId).forUpdate().executeTakeFirst()
}

/** Records the time step as used, only if it is later than the last one used: the user's id, or undefined. */
export async function acceptTotpStep (db: Kysely<DB>, userId: string, step: number): Promise<{ id: string } | undefined> {
  return await db.updateTable('users').set({ totp_last_step: String(step) })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step))]))
    .returning('id').executeTakeFirst()
}

export async function findAccountId (db: Kysely<DB>, userId: string): Promise<string | undefined> {
  return (await db.selectFrom('users').select('account_id').where('id', '=', userId).executeTakeFirst())?.account_id
}

export async function findPasswordHash (db: Kysely<DB>, userId: string): Promise<string | null> {
  return (await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash
}

/** A completed deletion (privacy feature): 2FA off, its secret and recovery codes gone. */
export const eraseTwoFactor: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('recovery_codes').where('user_id', '=', subject.id).execute()
  await trx.updateTable('users').set({ two_factor_enabled: false, totp_secret: null, totp_last_step: null }).where('id', '=', subject.id).execute()
}
