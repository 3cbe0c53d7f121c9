import { type Kysely, sql } from 'kysely'

// Privacy policy and operations with personal data (SPEC §4.2, §4.3).
// - policy_versions: what the provider publishes (policy:publish): one row
//   per document and version, invisible before effective_at; a URL or a
//   text in each language, and an optional note on what changed. `required`
//   is set from the document's key (privacy-policy, user-agreement).
// - policy_decisions: every accept / withdraw, kept as history (user,
//   document, version, time, IP). The newest row per (user, document) is the
//   user's current decision.
// - data_exports: one row per export asked for: the 24 h limit counts them;
//   sent_at says when the CSV left.
// - privacy_requests: requests for deletion and for restriction, with their
//   status; at most one open (received, in_progress) per user and kind,
//   enforced by a unique index so that two parallel requests make one.
//   privacy_request_events: each status change, by whom ('user', 'provider').
// - users.restricted: a completed restriction not lifted: no marketing, the
//   profile read-only.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('policy_versions')
    .addColumn('document', 'text', (c) => c.notNull().check(sql`document in ('privacy-policy', 'user-agreement', 'sms-news', 'email-news')`))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('required', 'boolean', (c) => c.notNull())
    .addColumn('effective_at', 'timestamptz', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('text_en', 'text')
    .addColumn('text_ru', 'text')
    .addColumn('changes_en', 'text')
    .addColumn('changes_ru', 'text')
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('policy_versions_pkey', ['document', 'version'])
    .addCheckConstraint('policy_versions_content', sql`(url is not null) <> (text_en is not null and text_ru is not null)`)
    .execute()
  // The newest effective version of each required document, on every signed-in request.
  await sql`create index policy_versions_required_idx on policy_versions (document, version desc) include (effective_at) where required`.execute(db)

  await db.schema.createTable('policy_decisions')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('accepted', 'withdrawn')`))
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addForeignKeyConstraint('policy_decisions_version_fkey', ['document', 'version'], 'policy_versions', ['document', 'version'])
    .execute()
  await sql`create index policy_decisions_user_idx on policy_decisions (user_id, document, version, decision)`.execute(db)
  await sql`create index policy_decisions_history_idx on policy_decisions (user_id, decided_at desc, id desc)`.execute(db)

  await db.schema.createTable('data_exports')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued', 'sent', 'failed')`))
    .addColumn('last_error', 'text')
    .execute()
  await sql`create index data_exports_user_idx on data_exports (user_id, requested_at desc)`.execute(db)

  await db.schema.createTable('privacy_requests')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('deletion', 'restriction')`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received').check(sql`status in ('received', 'in_progress', 'completed', 'rejected', 'lifted')`))
    .addColumn('reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await sql`create unique index privacy_requests_one_open on privacy_requests (user_id, kind) where status in ('received', 'in_progress')`.execute(db)
  await sql`create index privacy_requests_user_idx on privacy_requests (user_id, created_at desc)`.execute(db)
  await sql`create index privacy_requests_status_idx on privacy_requests (status, id)`.execute(db)

  await db.schema.createTable('privacy_request_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('request_id', 'bigint', (c) => c.notNull().references('privacy_requests.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('by', 'text', (c) => c.notNull().check(sql`by in ('user', 'provider')`))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute()
  await sql`create index privacy_request_events_request_idx on privacy_request_events (request_id, at, id)`.execute(db)

  await db.schema.alterTable('users')
    .addColumn('restricted', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('restricted').execute()
  await db.schema.dropTable('privacy_request_events').execute()
  await db.schema.dropTable('privacy_requests').execute()
  await db.schema.dropTable('data_exports').execute()
  await db.schema.dropTable('policy_decisions').execute()
  await db.schema.dropTable('policy_versions').execute()
}
