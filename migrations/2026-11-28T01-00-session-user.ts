import { type Kysely, sql } from 'kysely'

// What the session query (plugins/session.ts) reads on every request, kept
// on the user's row so that it reads three tables (one of them a single
// row) instead of seven. In PostgreSQL a prepared statement's cost is
// mostly setting up its plan on each execution (locking and opening each
// relation and index, building each node and expression), so every table
// it touches costs, used or not.
//
// 1. users.permissions, users.telegram_linked, users.avatar_file: copies of
//    what user_permissions, telegram_links and avatars hold for the user,
//    kept by a row trigger on those tables whoever writes them. The trigger
//    first locks the user's row, then reads the tables in a statement of
//    its own: under READ COMMITTED that statement's snapshot is taken after
//    the lock, so two transactions changing one user's permissions at once
//    cannot leave a copy without the other's change.
//
// 2. The policy flags of the signed-in user (CurrentUser.policyPending:
//    a required document's newest effective version is not accepted, the
//    panel waits for it; policyUpdated: a consent decided before has a
//    new version) are read with the session on every request. Computing
//    them there took two relations and some twenty plan nodes of every
//    session query, for an answer that changes only when a version is
//    published or takes effect, or when someone decides. So they are
//    kept on the user's row with what they were computed from:
//    - users.policy_pending, users.policy_updated: the flags;
//    - users.policy_epoch: policy_epoch.epoch when they were computed
//      (null: never); users.policy_until: the next effective_at of any
//      version after that moment (null: none scheduled), when they may
//      change by themselves.
//    - policy_epoch: one row, whose epoch a statement trigger raises on
//      every change to policy_versions or policy_decisions, whoever
//      makes it (the service, the CLI, a provider's own SQL): every
//      cached pair is then stale, and each user's next request computes
//      theirs again (one user's decision makes everyone's stale:
//      decisions are rare, and a recomputation costs what every request
//      cost before).
//    The session query (plugins/session.ts) uses the flags only while
//    their epoch is the current one and policy_until is in the future;
//    otherwise it computes them in one UPDATE that also reads the epoch,
//    so the flags and the epoch they are stamped with come from the same
//    snapshot: a change committed meanwhile leaves them stale, never
//    wrong.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('policy_epoch')
    .addColumn('id', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()
  await sql`insert into policy_epoch (id, epoch) values (true, 0)`.execute(db)
  await db.schema.alterTable('users')
    .addColumn('policy_pending', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('policy_updated', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('policy_epoch', 'bigint')
    .addColumn('policy_until', 'timestamptz')
    .addColumn('permissions', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('telegram_linked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('avatar_file', 'text')
    .execute()
  // The copies of these users, from the tables (volatile: its statement takes a snapshot of its own).
  await sql`
    create function users_copies_refresh(ids bigint[]) returns void language sql as $$
      update users u set
        permissions = array(select p.permission from user_permissions p where p.user_id = u.id order by p.permission),
        telegram_linked = exists (select 1 from telegram_links t where t.user_id = u.id),
        avatar_file = (select a.file from avatars a where a.user_id = u.id)
      where u.id = any(ids)
    $$`.execute(db)
  await sql`
    create function users_copies_sync() returns trigger language plpgsql as $$
    declare
      ids bigint[] := case tg_op when 'INSERT' then array[new.user_id] when 'DELETE' then array[old.user_id] else array[old.user_id, new.user_id] end;
    begin
      perform 1 from users where id = any(ids) order by id for update;
      perform users_copies_refresh(ids);
      return null;
    end $$`.execute(db)
  for (const table of ['user_permissions', 'telegram_links', 'avatars']) {
    await sql`create trigger ${sql.id(`${table}_users_copy`)} after insert or update or delete on ${sql.table(table)}
      for each row execute function users_copies_sync()`.execute(db)
  }
  await sql`select users_copies_refresh(array(
    select user_id from user_permissions union select user_id from telegram_links union select user_id from avatars))`.execute(db)
  await sql`
    create function policy_epoch_raise() returns trigger language plpgsql as $$
    begin
      update policy_epoch set epoch = epoch + 1;
      return null;
    end $$`.execute(db)
  for (const table of ['policy_versions', 'policy_decisions']) {
    await sql`create trigger ${sql.id(`${table}_epoch`)} after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function policy_epoch_raise()`.execute(db)
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const table of ['policy_versions', 'policy_decisions']) {
    await sql`drop trigger ${sql.id(`${table}_epoch`)} on ${sql.table(table)}`.execute(db)
  }
  await sql`drop function policy_epoch_raise()`.execute(db)
  for (const table of ['user_permissions', 'telegram_links', 'avatars']) {
    await sql`drop trigger ${sql.id(`${table}_users_copy`)} on ${sql.table(table)}`.execute(db)
  }
  await sql`drop function users_copies_sync()`.execute(db)
  await sql`drop function users_copies_refresh(bigint[])`.execute(db)
  await db.schema.alterTable('users')
    .dropColumn('policy_pending').dropColumn('policy_updated').dropColumn('policy_epoch').dropColumn('policy_until')
    .dropColumn('permissions').dropColumn('telegram_linked').dropColumn('avatar_file')
    .execute()
  await db.schema.dropTable('policy_epoch').execute()
}
