// The housekeeping job: what has run out goes, what is live stays.
import t from 'tap'
import { cleanUp } from '../../src/features/maintenance/service.ts'
import { addSeconds } from '../../src/lib/clock.ts'
import { createOwner, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)

t.test('ended sessions, dead links, old attempts, spent counters and old code sends are deleted; live ones stay', async (t) => {
  const now = clock.now()
  const ago = (s: number): Date => addSeconds(now, -s)
  await db.insertInto('sessions').values([
    { id: 'idle', user_id: owner.userId, data: '{}', created_at: ago(3600), last_seen_at: ago(31 * 60) },
    { id: 'too-old', user_id: owner.userId, data: '{}', created_at: ago(13 * 3600), last_seen_at: ago(60) },
    { id: 'live', user_id: owner.userId, data: '{}', created_at: ago(3600), last_seen_at: ago(60) },
    { id: 'retired', user_id: owner.userId, data: '{}', created_at: ago(3600), last_seen_at: ago(60), ends_at: ago(1) },
    { id: 'retiring', user_id: owner.userId, data: '{}', created_at: ago(3600), last_seen_at: ago(60), ends_at: addSeconds(now, 5) }
  ]).execute()
  await db.insertInto('tokens').values([
    { id: 'expired-long-ago', user_id: owner.userId, purpose: 'password_reset', created_at: ago(3 * 86400), expires_at: ago(2 * 86400) },
    { id: 'valid', user_id: owner.userId, purpose: 'password_reset', created_at: ago(60), expires_at: addSeconds(now, 3000) }
  ]).execute()
  await db.insertInto('login_attempts').values([
    { email: 'old@example.com', ip: '192.0.2.1', success: false, created_at: ago(91 * 86400) },
    { email: 'recent@example.com', ip: '192.0.2.1', success: false, created_at: ago(86400) }
  ]).execute()
  await db.insertInto('limit_counters').values([
    { kind: 'test', key: 'stale', window_start: ago(3 * 86400), updated_at: ago(3 * 86400) },
    { kind: 'test', key: 'stale-but-locked', window_start: ago(3 * 86400), updated_at: ago(3 * 86400), locked_until: addSeconds(now, 600) },
    { kind: 'test', key: 'fresh', window_start: ago(60), updated_at: ago(60) }
  ]).execute()
  await db.insertInto('code_sends').values([
    { user_id: owner.userId, purpose: 'verify', destination: '+79123456789', created_at: ago(2 * 86400) },
    { user_id: owner.userId, purpose: 'verify', destination: '+79123456789', created_at: ago(60) }
  ]).execute()

  await cleanUp(app.deps)

  t.same((await db.selectFrom('sessions').select('id').where('id', 'in', ['idle', 'too-old', 'live', 'retired', 'retiring']).orderBy('id').execute()).map((r) => r.id), ['live', 'retiring'])
  t.same((await db.selectFrom('tokens').select('id').where('id', 'in', ['expired-long-ago', 'valid']).execute()).map((r) => r.id), ['valid'])
  t.same((await db.selectFrom('login_attempts').select('email').execute()).map((r) => r.email), ['recent@example.com'])
  t.same((await db.selectFrom('limit_counters').select('key').where('kind', '=', 'test').orderBy('key').execute()).map((r) => r.key), ['fresh', 'stale-but-locked'], 'a running lock is kept')
  t.equal((await db.selectFrom('code_sends').select('id').execute()).length, 1)
})
