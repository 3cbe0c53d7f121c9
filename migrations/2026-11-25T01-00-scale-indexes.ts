import { type Kysely, sql } from 'kysely'

// Indexes for keyset paging at scale (100 000 accounts, millions of audit
// rows): every list and every filter of the Users and Account activity pages
// reads its page straight off one index in its display order, and deleting a
// user does not scan the audit log for its foreign keys.
//
// The activity Type filter selects actions by their first segment
// ("login" of "login.failed"): the index holds split_part(action, '.', 1), so
// a type of several segments is one ordered index range per segment.
export async function up (db: Kysely<any>): Promise<void> {
  // Users list: owner first, then by email (the order of the page).
  await sql`create index users_account_list_idx on users (account_id, (not is_owner), lower(email))`.execute(db)
  await db.schema.dropIndex('users_account_id_idx').execute()

  // Activity: all rows; by user; by type; by user and type; newest first.
  await db.schema.createIndex('audit_log_account_time_idx').on('audit_log').columns(['account_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('audit_log_account_actor_idx').on('audit_log').columns(['account_id', 'actor_user_id', 'created_at', 'id']).execute()
  await sql`create index audit_log_account_kind_idx on audit_log (account_id, split_part(action, '.', 1), created_at, id)`.execute(db)
  await sql`create index audit_log_account_actor_kind_idx on audit_log (account_id, actor_user_id, split_part(action, '.', 1), created_at, id)`.execute(db)
  await db.schema.dropIndex('audit_log_account_idx').execute()
  await db.schema.dropIndex('audit_log_account_action_idx').execute()

  // Foreign keys (on delete set null). The actor one also serves the
  // per-user counters (failed password, OTP and confirmation tries).
  await db.schema.createIndex('audit_log_actor_action_idx').on('audit_log').columns(['actor_user_id', 'action', 'created_at']).execute()
  await sql`create index audit_log_target_user_idx on audit_log (target_user_id) where target_user_id is not null`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('audit_log_account_action_idx').on('audit_log').columns(['account_id', 'action', 'created_at']).execute()
  await db.schema.createIndex('audit_log_account_idx').on('audit_log').columns(['account_id', 'created_at']).execute()
  await db.schema.createIndex('users_account_id_idx').on('users').column('account_id').execute()
  for (const name of ['audit_log_target_user_idx', 'audit_log_actor_action_idx', 'audit_log_account_actor_kind_idx', 'audit_log_account_kind_idx',
    'audit_log_account_actor_idx', 'audit_log_account_time_idx', 'users_account_list_idx']) {
    await db.schema.dropIndex(name).execute()
  }
}
