import { type Kysely, sql } from 'kysely'

// Webhooks (SPEC §6): a transactional outbox and one delivery per receiver.
// - webhook_sequences: each user's last event number. recordEvent takes the
//   next one with an upsert, whose row lock lasts until the transaction
//   ends, so a user's events are numbered in the order they commit, without
//   gaps (a rolled-back event gives its number back).
// - webhook_events: the outbox, written in the transaction of the change
//   (src/lib/events.ts). No foreign key to users: user.deleted outlives its
//   user. relayed_at: when its deliveries were made (null: not yet).
// - webhook_deliveries: one row per event and receiver (WEBHOOK_URLS), in
//   the order of the user's events; a receiver gets a user's events one at a
//   time, oldest first.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('webhook_sequences')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createTable('webhook_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('account_id', 'bigint')
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('relayed_at', 'timestamptz')
    .addUniqueConstraint('webhook_events_user_seq', ['user_id', 'seq'])
    .execute()
  await sql`create index webhook_events_unrelayed on webhook_events (id) where relayed_at is null`.execute(db)
  await db.schema.createTable('webhook_deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'bigint', (c) => c.notNull().references('webhook_events.id').onDelete('cascade'))
    .addColumn('receiver', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addUniqueConstraint('webhook_deliveries_event_receiver', ['event_id', 'receiver'])
    .execute()
  await sql`create index webhook_deliveries_stream on webhook_deliveries (receiver, user_id, seq) where status = 'queued'`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute()
  await db.schema.dropTable('webhook_events').execute()
  await db.schema.dropTable('webhook_sequences').execute()
}
