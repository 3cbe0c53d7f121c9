// Phone queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { CodePurpose } from './codes.ts'
import { MAX_ATTEMPTS } from './codes.ts'

/** Whether a code for this purpose and number is still live: unused, unexpired and not burned by wrong tries. */
export async function hasLiveCode (db: Kysely<DB>, userId: string, purpose: CodePurpose, phone: string, now: Date): Promise<boolean> {
  const row = await db.selectFrom('verification_codes').select('user_id')
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('destination', '=', phone)
    .where('used_at', 'is', null).where('expires_at', '>', now).where('attempts', '<', MAX_ATTEMPTS)
    .executeTakeFirst()
  return row !== undefined
}
