import t from 'tap'
import { sql } from 'kysely'
import { Agent, createOwner, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)

async function signedIn (): Promise<Agent> {
  const a = new Agent(app)
  const res = await a.logIn(base, owner.email, owner.password)
  if (res.statusCode !== 303) throw new Error('login failed')
  return a
}

t.test('the session table holds a hash of the id, with IP and browser', async (t) => {
  const a = await signedIn()
  const sid = decodeURIComponent(a.cookies.get('sid')!).split('.')[0]!
  const rows = await db.selectFrom('sessions').select(['id', 'ip', 'user_agent']).where('user_id', '=', owner.userId).execute()
  t.ok(rows.length >= 1)
  t.notOk(rows.some((r) => r.id === sid), 'the raw id is not stored')
  t.equal(rows.at(-1)!.ip, '127.0.0.1')
})

t.test('idle timeout', async (t) => {
  const a = await signedIn()
  clock.advance(29 * 60)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200, 'still alive after 29 minutes idle')
  clock.advance(29 * 60)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200, 'each request keeps it alive')
  clock.advance(31 * 60)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'ended after 31 minutes idle')
})

t.test('absolute timeout', async (t) => {
  const a = await signedIn()
  for (let h = 0; h < 40; h++) {
    clock.advance(25 * 60)
    const res = await a.get(`${base}client/profile`)
    if (res.statusCode !== 200) {
      t.ok(h * 25 >= 11 * 60, `ended after ${(h + 1) * 25} minutes of activity`)
      t.ok((h + 1) * 25 <= 12 * 60 + 25)
      return
    }
  }
  t.fail('the session never ended')
})

t.test('pages do not write the session on every request', async (t) => {
  const a = await signedIn()
  await a.get(`${base}client/profile`)
  const seen = async () => (await db.selectFrom('sessions').select('last_seen_at').where('user_id', '=', owner.userId).orderBy('last_seen_at', 'desc').executeTakeFirstOrThrow()).last_seen_at.getTime()
  const first = await seen()
  clock.advance(10)
  await a.get(`${base}client/profile`)
  t.equal(await seen(), first, 'not touched within a minute')
  clock.advance(61)
  await a.get(`${base}client/profile`)
  t.ok(await seen() > first, 'touched after a minute')
  t.notOk(a.cookies.size === 0)
})

t.test("a disabled user's session ends on the next request; re-enabling does not bring it back", async (t) => {
  const a = await signedIn()
  await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', owner.userId).execute()
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303)
  await db.updateTable('users').set({ status: 'active' }).where('id', '=', owner.userId).execute()
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303)
})

t.test('an ended session is not resurrected by a late save', async (t) => {
  const a = await signedIn()
  await a.get(`${base}client/profile`)
  await sql`delete from sessions where user_id = ${owner.userId}`.execute(db)
  // A request that modifies the session (a flash) after its row is gone.
  await a.post(`${base}password/forgot`, { email: 'x@example.com' })
  const rows = await db.selectFrom('sessions').select('id').where('user_id', '=', owner.userId).execute()
  t.equal(rows.length, 0)
})

t.test('anonymous visitors to pages without a form get no session row', async (t) => {
  const before = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  const res = await app.inject({ url: `${base}healthz` })
  const res2 = await app.inject({ url: `${base}nope` })
  t.notOk(res.headers['set-cookie'])
  t.notOk(res2.headers['set-cookie'])
  const after = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  t.equal(after.n, before.n)
})

t.test('many signed-in requests at once (several pool connections) all succeed', async (t) => {
  const agents = await Promise.all(Array.from({ length: 4 }, () => signedIn()))
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => agents[i % agents.length]!.get(`${base}client/profile`)))
  t.same([...new Set(results.map((r) => r.statusCode))], [200])
})
