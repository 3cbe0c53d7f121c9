// Profile queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

export async function setFullName (db: Kysely<DB>, userId: string, fullName: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ full_name: fullName, updated_at: now }).where('id', '=', userId).execute()
}

export async function findPasswordHash (db: Kysely<DB>, userId: string): Promise<string | null> {
  return (await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash
}

export async function setPasswordHash (db: Kysely<DB>, userId: string, hash: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', userId).execute()
}

/** Marks the user's unused password reset links used, so that none works after a change. */
export async function usePasswordResetLinks (db: Kysely<DB>, userId: string, now: Date): Promise<void> {
  await db.updateTable('tokens').set({ used_at: now }).where('user_id', '=', userId).where('purpose', '=', 'password_reset').where('used_at', 'is', null).execute()
}
