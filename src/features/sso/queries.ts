// SSO handoff queries: db first, so that a transaction passes through. The
// links are `tokens` rows (src/lib/tokens.ts) of purpose 'sso'.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { sha256 } from '../../lib/tokens.ts'

/** The user a link is for, as signing in needs them. */
export async function findSsoUser (db: Kysely<DB>, userId: string) {
  return await db.selectFrom('users')
    .select(['id', 'account_id', 'email', 'status', 'two_factor_enabled'])
    .where('id', '=', userId)
    .executeTakeFirst()
}

/** A link that exists but can no longer be used: whose it is and whether it was used (else it expired). */
export async function findSpentLink (db: Kysely<DB>, token: string) {
  return await db.selectFrom('tokens').innerJoin('users', 'users.id', 'tokens.user_id')
    .select(['tokens.user_id', 'users.account_id', 'tokens.used_at'])
    .where('tokens.id', '=', sha256(token)).where('tokens.purpose', '=', 'sso')
    .executeTakeFirst()
}
