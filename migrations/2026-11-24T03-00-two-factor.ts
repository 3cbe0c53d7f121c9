import type { Kysely } from 'kysely'

// TOTP (secret sealed with AES-GCM, last accepted time step against replay,
// wrong-code streak and lock) and single-use recovery codes, stored hashed.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_last_step', 'bigint')
    .addColumn('otp_fail_streak', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('otp_locked_until', 'timestamptz')
    .execute()
  await db.schema.createTable('recovery_codes')
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addPrimaryKeyConstraint('recovery_codes_pkey', ['user_id', 'code_hash'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recovery_codes').execute()
  await db.schema.alterTable('users').dropColumn('otp_locked_until').dropColumn('otp_fail_streak').dropColumn('totp_last_step').dropColumn('totp_secret').execute()
}
