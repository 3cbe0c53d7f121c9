// Two-factor queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

export async function countLiveRecoveryCodes (db: Kysely<DB>, userId: string): Promise<number> {
  const row = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n)
}
