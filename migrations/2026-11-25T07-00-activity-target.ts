import { type Kysely, sql } from 'kysely'

// Account activity names the users in each event and filters by a user as
// the one who acted or the one acted on:
// - the audit log keeps the ids of deleted users (no foreign keys on
//   actor_user_id and target_user_id any more): "on delete set null" made a
//   deleted user's sign-ins look like the provider's doing; the page names
//   them from the user.deleted row (personal_of = the id) while its
//   personal values last;
// - the User filter reads the actor index (scale-indexes) and this one, the
//   rows done to a user by someone else, newest first; rows a user did to
//   themselves (actor = target) are found by the actor index and left out
//   here, which keeps this index small.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log drop constraint if exists audit_log_actor_user_id_fkey`.execute(db)
  await sql`alter table audit_log drop constraint if exists audit_log_target_user_id_fkey`.execute(db)
  await sql`create index audit_log_account_target_idx on audit_log (account_id, target_user_id, created_at, id)
    where target_user_id is not null and actor_user_id is distinct from target_user_id`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_log_account_target_idx').execute()
  await sql`update audit_log set actor_user_id = null where actor_user_id is not null and not exists (select 1 from users u where u.id = actor_user_id)`.execute(db)
  await sql`update audit_log set target_user_id = null where target_user_id is not null and not exists (select 1 from users u where u.id = target_user_id)`.execute(db)
  await sql`alter table audit_log add constraint audit_log_actor_user_id_fkey foreign key (actor_user_id) references users (id) on delete set null`.execute(db)
  await sql`alter table audit_log add constraint audit_log_target_user_id_fkey foreign key (target_user_id) references users (id) on delete set null`.execute(db)
}
