// migrations/2026-11-28T01-00-session-user.ts on a database that already
// has users with permissions, a Telegram link and an avatar (a provider
// upgrading): the copies on the users rows are filled from the tables, the
// policy flags start stale, and the migration goes down and up again.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, sql } from 'kysely'
import t from 'tap'
import { createKysely } from '../../src/db/database.ts'
import { migrationsDir } from '../../src/db/migrate.ts'
import { createTestDatabase } from '../helpers/db.ts'

const BEFORE = '2026-11-27T03-00-webhooks'
const THIS = '2026-11-28T01-00-session-user'

t.test('up fills the copies from the tables, down removes them, up again', async (t) => {
  const database = await createTestDatabase()
  const { db } = createKysely(database.url, 2)
  t.teardown(async () => {
    await db.destroy()
    await database.drop()
  })
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: migrationsDir }) })
  const to = async (name: string) => {
    const { error, results } = await migrator.migrateTo(name)
    if (error !== undefined) throw new Error(`migrating to ${name}`, { cause: error })
    return results
  }
  await to(BEFORE)
  const columns = async () => (await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'users' and column_name in ('permissions', 'telegram_linked', 'avatar_file', 'policy_epoch') order by column_name`.execute(db)).rows.map((r) => r.column_name)
  t.same(await columns(), [], 'before: no copies')

  const account = (await sql<{ id: string }>`insert into accounts default values returning id::text`.execute(db)).rows[0]!.id
  const user = async (email: string) => (await sql<{ id: string }>`insert into users (account_id, email, full_name) values (${account}, ${email}, 'Someone') returning id::text`.execute(db)).rows[0]!.id
  const withAll = await user('all@example.com')
  const plain = await user('plain@example.com')
  await sql`insert into user_permissions (user_id, permission) values (${withAll}, 'users.view'), (${withAll}, 'activity.view')`.execute(db)
  await sql`insert into telegram_links (user_id, chat_id, linked_at) values (${withAll}, 777, now())`.execute(db)
  await sql`insert into avatars (user_id, file, bytes, content_type, created_at) values (${withAll}, 'f.webp', '\\x00', 'image/webp', now())`.execute(db)

  await to(THIS)
  const copies = async (id: string) => (await sql<{ permissions: string[], telegram_linked: boolean, avatar_file: string | null, policy_epoch: string | null }>`select permissions, telegram_linked, avatar_file, policy_epoch from users where id = ${id}`.execute(db)).rows[0]
  t.same(await copies(withAll), { permissions: ['activity.view', 'users.view'], telegram_linked: true, avatar_file: 'f.webp', policy_epoch: null }, 'filled from the tables; policy flags not computed yet')
  t.same(await copies(plain), { permissions: [], telegram_linked: false, avatar_file: null, policy_epoch: null })

  await to(BEFORE)
  t.same(await columns(), [], 'down: the copies are gone')
  await sql`insert into user_permissions (user_id, permission) values (${plain}, 'users.view')`.execute(db)
  t.pass('and the tables are written without the triggers')
  await to(THIS)
  t.same((await copies(plain))?.permissions, ['users.view'], 'up again: filled again')
})
