import { type Kysely, sql } from 'kysely'

// Deliveries (src/lib/deliveries/): one row per message to send on one
// channel. The job that sends it carries only the row's id; the message
// itself (address, text, any link or code) is in `payload`, sealed with
// AES-GCM, and is cleared once the delivery has ended (sent or failed).
// - channel: 'mail', 'sms' today; plain text so that 'telegram' and
//   'webhook' come without a migration;
// - type: the notification type key ('password_reset', 'invite', …);
// - status: queued → sent, or failed after the retry limit (or when the
//   link it carries expired before it could be sent);
// - attempts, last_attempt_at, next_attempt_at, last_error: the retry
//   record (last_error is a short description, never the message).
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('deliveries')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .execute()
  // Deleting a user sets its deliveries' user_id to null.
  await sql`create index deliveries_user_id_idx on deliveries (user_id) where user_id is not null`.execute(db)
  // Housekeeping deletes ended deliveries by age; operators list the failed ones.
  await sql`create index deliveries_ended_idx on deliveries (status, created_at) where status <> 'queued'`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deliveries').execute()
}
