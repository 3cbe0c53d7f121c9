import { type Kysely, sql } from 'kysely'

// Sessions that must end or change with their user:
// - pending_user_id: a sign-in waiting at the second step (2FA) belongs to
//   its user too, so that a reset, a disable or a delete ends it;
// - rotate: the user's permissions or status changed; the session gets a
//   new id on its next request;
// - ends_at: a rotated-away id stays valid this briefly, so that requests
//   the browser sent at the same time are still answered.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions')
    .addColumn('pending_user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('rotate', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('ends_at', 'timestamptz')
    .execute()
  await sql`create index sessions_pending_user_id_idx on sessions (pending_user_id) where pending_user_id is not null`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_pending_user_id_idx').execute()
  await db.schema.alterTable('sessions').dropColumn('ends_at').dropColumn('rotate').dropColumn('pending_user_id').execute()
}
