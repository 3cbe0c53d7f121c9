// npm run bench -- --scale (or tsx bench/scale.ts): the panel at a hosting
// provider's scale. Seeds DATABASE_URL once (bench/scale-seed.ts: 100 000
// accounts, 300 000 users, 5 000 000 audit events; one account with 2 000
// users and 1 000 000 events), then drives, signed in as that account's owner,
// 50 connections: the Profile page, the last page of the users list, the last
// page of the account activity and the activity filtered by one user and one
// type. Each page against its own one-query reference (bench/reference.ts, as
// `npm run bench` does for the Profile page: one primary-key select with raw
// `pg`, and the same bytes as the page, compiled from what the app served), in
// alternating slices (drivePair, BENCH_SECONDS in all). Then prints
// EXPLAIN (ANALYZE, BUFFERS) of each page's statement, made by the same
// functions the app runs and executed as the app does (a named prepared
// statement, after enough runs for PostgreSQL to settle on its cached plan).
import type { ChildProcess } from 'node:child_process'
import { sql } from 'kysely'
import { createKysely } from '../src/db/database.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { activityPageStatement } from '../src/features/activity/queries.ts'
import { activityTypes } from '../src/features/activity/service.ts'
import { usersPageStatement } from '../src/features/users/queries.ts'
import { hashPassword } from '../src/lib/passwords.ts'
import { bareReference, CONNECTIONS, drive, drivePair, DURATION, logIn, printTable, type Row, spread, start } from './measure.ts'
import { SCALE_OWNER_EMAIL, SCALE_PASSWORD, scaleSeeded, seedScale } from './scale-seed.ts'

const WARMUP = Math.min(2, DURATION)
const url = process.env.DATABASE_URL
if (url === undefined || url === '') {
  console.error('bench --scale needs DATABASE_URL: a PostgreSQL database it may fill with 5 000 000 audit rows (use a database of its own, e.g. createdb cp_scale).')
  process.exit(2)
}

const { db, pool } = createKysely(url, 2)
const children: ChildProcess[] = []

try {
  await migrateToLatest(db)
  if (await scaleSeeded(db)) console.log('Seed: already there (the big account exists); not seeding again.')
  else {
    console.log('Seeding (one transaction):')
    const t0 = performance.now()
    await seedScale(db, await hashPassword(SCALE_PASSWORD), (line) => console.log(line))
    const seeded = performance.now()
    await sql`vacuum (analyze) accounts, users, audit_log`.execute(db)
    console.log(`Seeded in ${((seeded - t0) / 1000).toFixed(1)} s; vacuum analyze ${((performance.now() - seeded) / 1000).toFixed(1)} s.`)
  }
  const owner = await db.selectFrom('users').select(['id', 'account_id', 'rows_per_page']).where(sql`lower(email)`, '=', SCALE_OWNER_EMAIL).executeTakeFirstOrThrow()
  const counts = await sql<{ accounts: string, users: string, events: string, mine: string, my_users: string }>`select
    (select count(*) from accounts) as accounts, (select count(*) from users) as users, (select count(*) from audit_log) as events,
    (select count(*) from audit_log where account_id = ${owner.account_id}) as mine, (select count(*) from users where account_id = ${owner.account_id}) as my_users`.execute(db)
  const c = counts.rows[0]!
  console.log(`Database: ${c.accounts} accounts, ${c.users} users, ${c.events} audit events; the big account: ${c.my_users} users, ${c.mine} events.`)

  const server = await start<{ port: number }>('bench/scale-server.ts', process.env)
  children.push(server.child)
  const app = `http://127.0.0.1:${server.ready.port}`
  const signedIn = await logIn(app, SCALE_OWNER_EMAIL, SCALE_PASSWORD)
  if (!signedIn.ok) throw new Error(`could not sign in as ${SCALE_OWNER_EMAIL}: ${signedIn.status}`)
  const cookie = signedIn.cookie
  // The small tables the session query reads, analysed as autovacuum would (the big ones were at seeding).
  await sql`analyze sessions, user_permissions, telegram_links, avatars, policy_versions, policy_decisions`.execute(db)
  const type = 'signin'
  // required: the owner's values each page shows (the reference fills them in from its row).
  const pages = [
    { name: 'Profile (signed in)', path: '/client/profile', marker: SCALE_OWNER_EMAIL, required: ['email', 'lastLogin'] },
    { name: 'Users, last page', path: '/client/users?last=1', marker: '@scale.example.com', required: ['fullName'] },
    { name: 'Activity, last page', path: '/client/activity?last=1', marker: '<tr data-event=', required: ['fullName'] },
    { name: `Activity, owner + type ${type}`, path: `/client/activity?user=${owner.id}&type=${type}`, marker: '<tr data-event=', required: ['fullName'] }
  ]

  console.log(`\n${CONNECTIONS} connections, ${DURATION} s per page and ${DURATION} s per reference (alternating slices, after ${WARMUP} s of warm-up each), ${owner.rows_per_page} rows per page.`)
  const results: Array<{ name: string, page: Row, reference: Row, ratios: number[] }> = []
  for (const p of pages) {
    const fetchPage = async (): Promise<Response> => {
      const res = await fetch(app + p.path, { headers: { cookie }, redirect: 'manual' })
      if (res.status !== 200) throw new Error(`${p.path} answered ${res.status}`)
      return res
    }
    const body = await (await fetchPage()).text()
    if (!body.includes(p.marker)) throw new Error(`${p.path} answered without ${p.marker}`)
    const reference = await bareReference(url, owner.id, fetchPage, p.required)
    try {
      const mismatch = await reference.sameBytes()
      if (mismatch !== null) throw new Error(`the reference does not print the bytes of ${p.path} ${mismatch}`)
      await drive('warm-up', reference.url, {}, undefined, WARMUP)
      await drive('warm-up', app + p.path, { cookie }, undefined, WARMUP)
      const { route, reference: ref, ratios } = await drivePair(
        { name: p.name, url: app + p.path, headers: { cookie }, pid: server.child.pid },
        { name: `  its reference (${Buffer.byteLength(body)} bytes)`, url: reference.url, pid: reference.child.pid })
      results.push({ name: p.name, page: route, reference: ref, ratios })
      const after = await reference.sameBytes()
      if (after !== null) {
        console.log(`WARNING: after the run the reference no longer printed the bytes of ${p.path} ${after}`)
        process.exitCode = 1
      }
    } finally {
      reference.child.kill('SIGTERM')
    }
  }
  printTable(results.flatMap((r) => [r.page, r.reference]))
  console.log('')
  for (const r of results) console.log(`${r.name}: ${(r.page.rps / r.reference.rps).toFixed(2)} × its reference (${spread(r.ratios)}), p99 ${r.page.p99} ms`)
  const missed = results.filter((r) => r.page.p99 > 25 || r.page.rps / r.reference.rps < 0.8)
  console.log(missed.length === 0 ? '\nEvery page: p99 <= 25 ms and >= 0.80 × its reference.' : `\nMissed the aim (p99 <= 25 ms, >= 0.80 × its reference): ${missed.map((r) => r.name).join('; ')}`)

  // The statements, from the app's own functions, for one page of rows_per_page (+1 to see whether there is more),
  // prepared on one connection and run as often as the app's pool runs them before PostgreSQL keeps a plan.
  // Pages after a cursor in the middle too: the cursor row must be read by its key, not found by a scan of the account.
  const n = owner.rows_per_page + 1
  const middle = await sql<{ user_id: string, event_id: string }>`select
    (select id from users where account_id = ${owner.account_id} order by not is_owner, lower(email) offset 1000 limit 1) as user_id,
    (select id from audit_log where account_id = ${owner.account_id} and actor_user_id = ${owner.id} order by created_at, id offset 5000 limit 1) as event_id`.execute(db)
  const { user_id: middleUser, event_id: middleEvent } = middle.rows[0]!
  const plans = [
    { name: 'Users, last page', st: usersPageStatement(owner.account_id, { from: 'last' }, n) },
    { name: 'Activity, last page', st: activityPageStatement(owner.account_id, {}, { from: 'last' }, n) },
    { name: `Activity, owner + type ${type}`, st: activityPageStatement(owner.account_id, { user: { id: owner.id }, domains: activityTypes[type] }, { from: 'first' }, n) },
    { name: 'Users, a middle page (Next)', st: usersPageStatement(owner.account_id, { from: 'after', id: middleUser }, n) },
    { name: 'Activity, owner, a middle page (Previous)', st: activityPageStatement(owner.account_id, { user: { id: owner.id } }, { from: 'before', id: middleEvent }, n) }
  ]
  const client = await pool.connect()
  try {
    for (const { name, st } of plans) {
      for (let i = 0; i < 6; i++) await client.query(st)
      const args = st.values.map((v) => typeof v === 'number' ? String(v) : client.escapeLiteral(String(v))).join(', ')
      const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) execute ${st.name}(${args})`)
      const { rows: [kept] } = await client.query<{ generic_plans: string, custom_plans: string }>('select generic_plans, custom_plans from pg_prepared_statements where name = $1', [st.name])
      console.log(`\n== ${name}: statement ${st.name} (${kept?.generic_plans} generic, ${kept?.custom_plans} custom plans so far)\n${st.text}\n-- parameters: ${JSON.stringify(st.values)}\n${plan.map((r) => r['QUERY PLAN']).join('\n')}`)
    }
  } finally {
    client.release()
  }
} finally {
  for (const child of children) child.kill('SIGTERM')
  await db.destroy()
}
