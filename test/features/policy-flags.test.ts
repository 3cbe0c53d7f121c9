// The policy flags kept on the user's row (migrations/2026-11-28T01-00-session-user.ts,
// plugins/session.ts), written as the ways they could go stale: a version
// added by the provider's own SQL (no service code), a version taking effect
// with no write at all, a decision made in another browser, and a change
// that commits while a request is computing the flags from an older
// snapshot. Each must reach the very next page; a page whose flags are
// current writes nothing.
import t from 'tap'
import { sql } from 'kysely'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { createOwner, signIn, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'

const ta = await startTestApp(t)
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const profile = `${base}client/profile`
const acceptPage = `${base}client/settings/privacy/accept`
const gated = (location: unknown) => typeof location === 'string' && location.startsWith(acceptPage)

/** The users row's version (xmin): it changes only when the row is written. */
const rowVersion = async () => (await sql<{ v: string }>`select xmin::text as v from users where id = ${owner.userId}`.execute(db)).rows[0]!.v
const stamp = async () => await db.selectFrom('users').select(['policy_pending', 'policy_epoch', 'policy_until']).where('id', '=', owner.userId).executeTakeFirstOrThrow()
const epoch = async () => (await db.selectFrom('policy_epoch').select('epoch').executeTakeFirstOrThrow()).epoch

t.test('flags that are current are read, not computed: the user row is not written', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  t.equal((await a.get(profile)).statusCode, 200)
  const first = await stamp()
  t.equal(first.policy_epoch, await epoch(), 'stamped with the current epoch')
  t.equal(first.policy_pending, false)
  const before = await rowVersion()
  for (let i = 0; i < 3; i++) t.equal((await a.get(profile)).statusCode, 200)
  t.equal(await rowVersion(), before, 'three more pages wrote nothing to the user row')
})

t.test("a version inserted by the provider's own SQL gates the very next page", async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  t.equal((await a.get(profile)).statusCode, 200)
  const was = await epoch()
  await db.insertInto('policy_versions').values({ document: 'privacy-policy', version: 1, required: true, effective_at: clock.now(), url: 'https://example.com/privacy-1', published_at: clock.now() }).execute()
  t.ok(BigInt(await epoch()) > BigInt(was), 'the trigger raised the epoch')
  const next = await a.get(profile)
  t.equal(next.statusCode, 303)
  t.ok(gated(next.headers.location), 'on to the acceptance page')
  t.equal((await stamp()).policy_pending, true, 'kept on the row')
  const accepted = await a.post(acceptPage, { accept: 'privacy-policy:1' })
  t.equal(accepted.statusCode, 303)
  t.equal((await a.get(profile)).statusCode, 200, 'accepted: the gate is gone on the next page')
})

t.test('a version taking effect gates the next page with nothing written in between', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const r = await publishPolicy(app.deps, { document: 'privacy-policy', version: 2, effectiveAt: new Date(clock.now().getTime() + 60_000).toISOString(), url: 'https://example.com/privacy-2' })
  t.ok(r.ok)
  t.equal((await a.get(profile)).statusCode, 200, 'not in effect yet')
  const s = await stamp()
  t.equal(s.policy_until?.getTime(), clock.now().getTime() + 60_000, 'the flags hold until the version takes effect')
  const was = await epoch()
  clock.advance(61)
  t.equal(await epoch(), was, 'no write since')
  const next = await a.get(profile)
  t.equal(next.statusCode, 303)
  t.ok(gated(next.headers.location), 'in effect: on to the acceptance page')
  t.equal((await a.post(acceptPage, { accept: 'privacy-policy:2' })).statusCode, 303)
})

t.test('a decision in one browser reaches the other at once', async (t) => {
  await publishPolicy(app.deps, { document: 'privacy-policy', version: 3, effectiveAt: clock.now().toISOString(), url: 'https://example.com/privacy-3' })
  const a = await signIn(ta, owner.email, owner.password)
  const b = await signIn(ta, owner.email, owner.password)
  t.ok(gated((await a.get(profile)).headers.location))
  t.ok(gated((await b.get(profile)).headers.location))
  t.equal((await a.get(acceptPage)).statusCode, 200)
  t.equal((await a.post(acceptPage, { accept: 'privacy-policy:3' })).statusCode, 303)
  t.equal((await b.get(profile)).statusCode, 200, 'the other browser is let through on its next page')
})

t.test('a change that commits while a request computes the flags from an older snapshot leaves them stale, not wrong', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  t.equal((await a.get(profile)).statusCode, 200)
  // A provider publishes in a transaction still open while the user loads a page.
  const client = await app.deps.pool.connect()
  t.teardown(() => { client.release() })
  await client.query('begin')
  await client.query(`insert into policy_versions (document, version, required, effective_at, url, published_at) values ('privacy-policy', 4, true, $1, 'https://example.com/privacy-4', $1)`, [clock.now()])
  // The epoch is raised but not committed: this page computes the flags from the snapshot without version 4.
  await db.updateTable('users').set({ policy_epoch: null }).where('id', '=', owner.userId).execute()
  t.equal((await a.get(profile)).statusCode, 200, 'version 4 is not committed yet: no gate')
  const computed = await stamp()
  t.equal(computed.policy_pending, false)
  await client.query('commit')
  t.not(computed.policy_epoch, await epoch(), 'the flags carry the epoch they were computed at, older than the commit')
  const next = await a.get(profile)
  t.equal(next.statusCode, 303)
  t.ok(gated(next.headers.location), 'the next page sees version 4')
})

t.test("the copies of a user's permissions, Telegram link and avatar follow their tables, also when two transactions change one user at once", async (t) => {
  const copies = async () => await db.selectFrom('users').select(['permissions', 'telegram_linked', 'avatar_file']).where('id', '=', owner.userId).executeTakeFirstOrThrow()
  // Two administrators grant one permission each, at the same moment: the
  // second transaction's trigger waits for the first to commit, and its copy
  // must hold both.
  const first = await app.deps.pool.connect()
  const second = await app.deps.pool.connect()
  t.teardown(() => { first.release(); second.release() })
  const secondPid = (await second.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
  await first.query('begin')
  await second.query('begin')
  await first.query(`insert into user_permissions (user_id, permission) values ($1, 'users.view')`, [owner.userId])
  const waiting = second.query(`insert into user_permissions (user_id, permission) values ($1, 'activity.view')`, [owner.userId])
  // The race itself: the second insert's trigger waits for the first transaction's lock on the user's row.
  const activity = async () => (await app.deps.pool.query<{ wait: string | null, query: string }>('select wait_event_type as wait, query from pg_stat_activity where pid = $1', [secondPid])).rows[0]
  await eventually('the second grant to wait for the first', async () => (await activity())?.wait === 'Lock' ? true : undefined, async () => JSON.stringify(await activity()))
  await first.query('commit')
  await waiting
  await second.query('commit')
  t.same((await copies()).permissions, ['activity.view', 'users.view'], 'both grants are in the copy')
  await db.deleteFrom('user_permissions').where('user_id', '=', owner.userId).where('permission', '=', 'users.view').execute()
  t.same((await copies()).permissions, ['activity.view'], 'a revocation reaches the copy')

  await db.insertInto('telegram_links').values({ user_id: owner.userId, chat_id: '4242', username: null, linked_at: clock.now() }).execute()
  await db.insertInto('avatars').values({ user_id: owner.userId, file: 'abc.webp', bytes: Buffer.from('x'), content_type: 'image/webp', created_at: clock.now() }).execute()
  t.match(await copies(), { telegram_linked: true, avatar_file: 'abc.webp' })
  await db.deleteFrom('telegram_links').where('user_id', '=', owner.userId).execute()
  await db.deleteFrom('avatars').where('user_id', '=', owner.userId).execute()
  t.match(await copies(), { telegram_linked: false, avatar_file: null })
  await db.deleteFrom('user_permissions').where('user_id', '=', owner.userId).execute()
  t.same((await copies()).permissions, [])
})
