import { type Kysely, sql } from 'kysely'

// Events (src/lib/events.ts):
// - personal_of, personal_keys: whose personal values (an address, a phone,
//   a name) an audit row's details hold and under which keys, so that a
//   deletion request can scrub them from the log by user and keep the facts;
// - the foreign keys get their indexes: deleting a user sets its rows'
//   actor and target to null, which otherwise reads the whole log;
// - users.otp_fail_streak and otp_locked_until are gone: the limit counters
//   replaced them and nothing reads them.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_log')
    .addColumn('personal_of', 'bigint')
    .addColumn('personal_keys', sql`text[]`)
    .execute()
  await sql`create index audit_log_personal_of_idx on audit_log (personal_of) where personal_of is not null`.execute(db)
  await sql`create index audit_log_actor_user_id_idx on audit_log (actor_user_id) where actor_user_id is not null`.execute(db)
  await sql`create index audit_log_target_user_id_idx on audit_log (target_user_id) where target_user_id is not null`.execute(db)
  await db.schema.alterTable('users').dropColumn('otp_fail_streak').dropColumn('otp_locked_until').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users')
    .addColumn('otp_fail_streak', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('otp_locked_until', 'timestamptz')
    .execute()
  await db.schema.dropIndex('audit_log_target_user_id_idx').execute()
  await db.schema.dropIndex('audit_log_actor_user_id_idx').execute()
  await db.schema.dropIndex('audit_log_personal_of_idx').execute()
  await db.schema.alterTable('audit_log').dropColumn('personal_keys').dropColumn('personal_of').execute()
}
