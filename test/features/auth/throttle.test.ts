import t from 'tap'
import { backoffSeconds, FREE_FAILURES, HOURLY_LIMIT, IP_HOURLY_LIMIT, ipRule } from '../../../src/features/auth/throttle.ts'
import { recordFailure, reserveAttempt } from '../../../src/lib/limits.ts'
import { Agent, createOwner, startTestApp } from '../../helpers/app.ts'

const ta = await startTestApp(t, { env: { TRUST_PROXY: '127.0.0.1' } })
const { app, base, clock } = ta
const db = app.deps.db

async function attempt (email: string, password: string, ip = '203.0.113.7'): Promise<number> {
  const a = new Agent(app, { 'x-forwarded-for': ip })
  await a.get(`${base}login`)
  const res = await a.post(`${base}login`, { email, password })
  return res.statusCode
}

t.test('back-off after five failures: even the right password is refused until it has passed', async (t) => {
  const u = await createOwner(ta, 'backoff@example.com', 'backoff passphrase ok')
  for (let i = 0; i < FREE_FAILURES; i++) t.equal(await attempt(u.email, 'wrong password 123'), 422)
  t.equal(await attempt(u.email, u.password), 422, 'refused while backing off, answered like a wrong password')
  clock.advance(backoffSeconds(FREE_FAILURES) + 1)
  t.equal(await attempt(u.email, u.password), 303, 'allowed once the back-off has passed')
  const audit = await db.selectFrom('audit_log').select(['action', 'details']).where('actor_user_id', '=', u.userId).orderBy('id').execute()
  t.same(audit.map((a) => a.action), [...Array(6).fill('login.failed'), 'login.success'])
  t.same(audit[5]!.details, { reason: 'throttled' })
})

t.test('the hourly ceiling locks the address until the hour has passed', async (t) => {
  const u = await createOwner(ta, 'ceiling@example.com', 'ceiling passphrase ok')
  for (let i = 0; i < HOURLY_LIMIT; i++) {
    clock.advance(backoffSeconds(i) + 1)
    t.equal(await attempt(u.email, `wrong password ${i}`), 422)
  }
  clock.advance(400)
  t.equal(await attempt(u.email, u.password), 422, 'locked: the right password is refused')
  const throttled = await db.selectFrom('login_attempts').select('id').where('email', '=', u.email).where('throttled', '=', true).execute()
  t.equal(throttled.length, 1, 'the refused try is recorded as throttled')
  clock.advance(3600)
  t.equal(await attempt(u.email, u.password), 303, 'the lock ends')
})

t.test('unknown addresses are throttled the same way', async (t) => {
  for (let i = 0; i < FREE_FAILURES; i++) await attempt('ghost@example.com', 'whatever it may be')
  const rows = await db.selectFrom('login_attempts').select(['throttled', 'user_id']).where('email', '=', 'ghost@example.com').execute()
  t.equal(rows.length, FREE_FAILURES)
  t.ok(rows.every((r) => r.user_id === null))
  await attempt('ghost@example.com', 'whatever it may be')
  const after = await db.selectFrom('login_attempts').select('throttled').where('email', '=', 'ghost@example.com').where('throttled', '=', true).execute()
  t.equal(after.length, 1)
})

t.test('per client IP, behind a trusted proxy', async (t) => {
  clock.advance(7200)
  const u = await createOwner(ta, 'ipvictim@example.com', 'ip victim passphrase')
  // Failures for many addresses from one IP, counted as the sign-in counts them.
  for (let i = 0; i < IP_HOURLY_LIMIT; i++) {
    const r = await reserveAttempt(db, [{ rule: ipRule, key: '198.51.100.9' }], clock.now())
    if (!r.ok) throw new Error(`refused after ${i}`)
    await recordFailure(db, r, clock.now())
  }
  t.equal(await attempt(u.email, u.password, '198.51.100.9'), 422, 'the spraying IP is refused')
  t.equal(await attempt(u.email, u.password, '198.51.100.10'), 303, 'another IP is not')
  const recorded = await db.selectFrom('login_attempts').select('ip').where('email', '=', u.email).orderBy('id').execute()
  t.same(recorded.map((r) => r.ip), ['198.51.100.9', '198.51.100.10'], 'the real client IP comes from the trusted proxy')
})

t.test('X-Forwarded-For from an untrusted peer is ignored', async (t) => {
  const other = await startTestApp(t)
  const u = await createOwner(other, 'direct@example.com', 'direct passphrase ok')
  const a = new Agent(other.app, { 'x-forwarded-for': '192.0.2.55' })
  await a.logIn(other.base, u.email, u.password)
  const row = await other.app.deps.db.selectFrom('login_attempts').select('ip').where('email', '=', u.email).executeTakeFirstOrThrow()
  t.equal(row.ip, '127.0.0.1')
})
