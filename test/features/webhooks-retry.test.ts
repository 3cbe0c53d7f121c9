// Webhook retries: the deliveries' backoff (doubling to the cap), given up
// after the limit and recorded, and the user's next event then goes out; a
// completed deletion takes the address, name and phone out of kept
// webhooks; old webhooks are cleaned up. Retries are pulled forward
// (start_after = now). (The give-up is logged as an error: expected.)
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { updateUser } from '../../src/features/provider/index.ts'
import { completeRequest } from '../../src/features/privacy/index.ts'
import { cleanUpWebhooks, requeueStuckWebhooks } from '../../src/features/webhooks/queries.ts'
import { createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'
import { TestWebhookReceiver } from '../helpers/webhook-receiver.ts'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`
const hooks = await TestWebhookReceiver.started(t, SECRET)
// Base delay 1 s (the test default), capped at 2 s, 2 retries.
const ta = await startTestApp(t, { env: { WEBHOOK_URLS: hooks.url, WEBHOOK_SECRET: SECRET, DELIVERY_RETRY_MAX_DELAY_SECONDS: '2', DELIVERY_RETRY_LIMIT: '2' } })
const { app, base } = ta
const db = app.deps.db
const deps = app.deps
const owner = await createOwner(ta)

const tryNow = async (): Promise<void> => { await sql`update pgboss.job set start_after = now() where name = 'webhook' and state in ('created', 'retry')`.execute(db) }
const deliveriesOf = async (userId: string) => await db.selectFrom('webhook_deliveries').selectAll().where('user_id', '=', userId).orderBy('seq').execute()
const seconds = (a: Date, b: Date) => (a.getTime() - b.getTime()) / 1000

t.test('a webhook that keeps failing backs off, is given up after the limit, and the next one goes out', async (t) => {
  const u = await createUser(ta, owner.accountId, 'retry@example.com')
  hooks.status = 500
  t.ok((await updateUser(deps, u.userId, { name: 'First' })).ok)
  t.ok((await updateUser(deps, u.userId, { name: 'Second' })).ok)
  for (const [i, step] of [1, 2].entries()) {
    const [d] = await eventually(`try ${i + 1}`, async () => { const d = await deliveriesOf(u.userId); return (d[0]?.attempts ?? 0) >= i + 1 ? d : undefined })
    t.match(d, { status: 'queued', last_error: /HTTP 500/ })
    const delay = seconds(d!.next_attempt_at, d!.last_attempt_at!)
    t.ok(delay >= step / 2 - 0.01 && delay <= step + 0.01, `the next try waits ${delay} s, within [${step / 2}, ${step}]`)
    await tryNow()
  }
  const [first] = await eventually('the first given up', async () => { const d = await deliveriesOf(u.userId); return d[0]!.status === 'failed' ? d : undefined })
  t.match(first, { status: 'failed', attempts: 3, last_error: /HTTP 500/ })
  // The second became the stream's head and was tried at once; now it gets through.
  await eventually('the second tried', async () => (await deliveriesOf(u.userId))[1]!.attempts >= 1 ? true : undefined)
  hooks.status = 204
  await tryNow()
  await eventually('the second sent', async () => (await deliveriesOf(u.userId))[1]!.status === 'sent' ? true : undefined)
  t.same(hooks.of(u.userId).map((w) => w.payload.data.name), ['Second'], 'the given-up one never arrived; the next did')
  t.equal(hooks.received.filter((w) => w.payload.data.name === 'First').length, 3, 'the first was tried three times')
  t.equal(hooks.received.filter((w) => w.payload.data.name === 'Second').length, 2, 'the second only after the first was given up')
})

t.test('a completed deletion takes the person out of kept webhooks; old ones are cleaned up', async (t) => {
  const u = await createUser(ta, owner.accountId, 'leaving@example.com', 'a long enough passphrase', 'Leaving User')
  t.ok((await updateUser(deps, u.userId, { name: 'Leaving Renamed' })).ok)
  await eventually('the rename sent', () => hooks.of(u.userId).length >= 1 ? true : undefined)
  const a = await signIn(ta, u.email, u.password)
  t.equal((await a.postConfirmed(`${base}client/settings/privacy/requests/deletion`, {}, u.password)).statusCode, 303)
  const request = await db.selectFrom('privacy_requests').select('id').where('user_id', '=', u.userId).executeTakeFirstOrThrow()
  t.ok((await completeRequest(deps, request.id)).ok)
  const got = await eventually('the completion', () => hooks.of(u.userId).length >= 3 ? hooks.of(u.userId) : undefined)
  t.match(got[2]!.payload, { type: 'privacy_request.updated', data: { kind: 'deletion', status: 'completed', requestId: request.id } })
  const kept = await db.selectFrom('webhook_events').select('data').where('user_id', '=', u.userId).execute()
  t.equal(kept.length, 3)
  t.notOk(JSON.stringify(kept).includes('leaving'), 'no address or name is kept')
  t.notOk(kept.some((e) => 'email' in e.data || 'name' in e.data || 'phone' in e.data))

  // Cleanup: relayed over a week ago and ended goes; still on its way stays.
  hooks.status = 500
  const w = await createUser(ta, owner.accountId, 'waiting@example.com')
  t.ok((await updateUser(deps, w.userId, { name: 'Waiting' })).ok)
  await eventually('a failed try', async () => (await deliveriesOf(w.userId))[0]?.attempts === 1 ? true : undefined)
  await db.updateTable('webhook_events').set({ relayed_at: new Date(Date.now() - 8 * 86400_000) }).execute()
  const before = Number((await db.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  t.equal(await cleanUpWebhooks({ db, clock: { now: () => new Date() } }), before - 1, 'every ended one')
  t.same((await db.selectFrom('webhook_events').select('user_id').execute()).map((r) => r.user_id), [w.userId], 'the one on its way stays')
  hooks.status = 204
})

t.test('a head whose job was lost is queued again by the hourly job, and the stream goes on', async (t) => {
  const u = await createUser(ta, owner.accountId, 'stuck@example.com')
  hooks.status = 500
  t.ok((await updateUser(deps, u.userId, { name: 'Stuck 1' })).ok)
  t.ok((await updateUser(deps, u.userId, { name: 'Stuck 2' })).ok)
  const [head] = await eventually('a failed try', async () => { const d = await deliveriesOf(u.userId); return d[0]?.attempts === 1 ? d : undefined })
  // Its retry job is lost, and its time long past.
  await sql`delete from pgboss.job where name = 'webhook' and data->>'id' = ${head!.id}`.execute(db)
  await db.updateTable('webhook_deliveries').set({ next_attempt_at: new Date(Date.now() - 3600_000) }).where('id', '=', head!.id).execute()
  hooks.status = 204
  t.equal(await requeueStuckWebhooks({ ...deps, clock: { now: () => new Date() } }), 1, 'only the head, not the one waiting behind it')
  const got = await eventually('both arrived', () => hooks.of(u.userId).length >= 2 ? hooks.of(u.userId) : undefined)
  t.same(got.map((w) => w.payload.data.name), ['Stuck 1', 'Stuck 2'])
})
