import type { Kysely } from 'kysely'

// SSO handoff (SPEC §6). The links themselves are rows of `tokens` (purpose
// 'sso': 128 random bits, only their SHA-256 stored, 60 s, single use), so
// no table of their own. What is new is that the sign-in history says how
// each sign-in was proved: `login_attempts.method` (password, totp,
// recovery, sso, and sso_totp / sso_recovery for a second step after an
// SSO link). Null on the rows from before it was recorded.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('login_attempts').addColumn('method', 'text').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('login_attempts').dropColumn('method').execute()
}
