import { type Kysely, sql } from 'kysely'

// Account activity filtered by a user and a type reads, for the rows done to
// the user by someone else, an index of its own: (account_id,
// target_user_id, type, created_at, id), as the actor's rows have had since
// scale-indexes. Before, that range came off audit_log_account_target_idx
// with the type as a filter: the rows done to the user were read, newest
// first, until a page of the type was found, all of them when fewer were
// (bench --scale: 136 of a page's 272 buffers for 64 such rows; a user acted
// on a hundred thousand times would have read them all for each page).
//
// Two indexes that only slowed each audit row's insert go:
// - audit_log_target_user_id_idx (events migration) is the same index as
//   audit_log_target_user_idx (scale-indexes);
// - audit_log_actor_user_id_idx (events migration) is a prefix of
//   audit_log_actor_action_idx, which serves the same lookups (a user's
//   rows for the personal-data export and erasure).
//
// Built inside the migration's transaction, as the other indexes were:
// new audit rows wait meanwhile (2.3 s on the scale benchmark's 5 000 000
// rows, a million of them in this partial index).
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index audit_log_account_target_kind_idx on audit_log (account_id, target_user_id, split_part(action, '.', 1), created_at, id)
    where target_user_id is not null and actor_user_id is distinct from target_user_id`.execute(db)
  await db.schema.dropIndex('audit_log_target_user_id_idx').execute()
  await db.schema.dropIndex('audit_log_actor_user_id_idx').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`create index audit_log_actor_user_id_idx on audit_log (actor_user_id) where actor_user_id is not null`.execute(db)
  await sql`create index audit_log_target_user_id_idx on audit_log (target_user_id) where target_user_id is not null`.execute(db)
  await db.schema.dropIndex('audit_log_account_target_kind_idx').execute()
}
