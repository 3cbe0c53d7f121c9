// Webhooks (SPEC §6) at two loopback receivers that verify every signature
// with standardwebhooks: each event type from the operation that causes it;
// a receiver that is down gets everything later, in order per user, while
// the other gets its events at once; a rolled-back change sends nothing; a
// tampered body fails verification. Retries are pulled forward
// (start_after = now) instead of waited for. (Given-up webhooks are logged
// as errors: such lines in the output are expected.)
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import * as OTPAuth from 'otpauth'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { resetTwoFactor, updateUser } from '../../src/features/provider/index.ts'
import { rejectRequest, startRequest } from '../../src/features/privacy/index.ts'
import { recordEvent } from '../../src/lib/events.ts'
import { createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'
import { type ReceivedWebhook, TestWebhookReceiver } from '../helpers/webhook-receiver.ts'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`
const one = await TestWebhookReceiver.started(t, SECRET)
const two = await TestWebhookReceiver.started(t, SECRET)
const ta = await startTestApp(t, { env: { WEBHOOK_URLS: `${one.url}, ${two.url}`, WEBHOOK_SECRET: SECRET, DELIVERY_RETRY_MAX_DELAY_SECONDS: '2' } })
const { app, base, clock } = ta
const db = app.deps.db
const deps = app.deps
const owner = await createOwner(ta)
const U = `${base}client/users`

/** Runs every waiting webhook try now instead of after its delay. */
const tryNow = async (): Promise<void> => { await sql`update pgboss.job set start_after = now() where name = 'webhook' and state in ('created', 'retry')`.execute(db) }
const typesOf = (list: ReceivedWebhook[]): string[] => list.map((w) => w.payload.type)
async function received (r: TestWebhookReceiver, userId: string, n: number): Promise<ReceivedWebhook[]> {
  return await eventually(`${n} webhooks about user ${userId}`, () => r.of(userId).length >= n ? r.of(userId) : undefined,
    () => JSON.stringify(typesOf(r.of(userId))))
}
const deliveries = async (receiver: string) => await db.selectFrom('webhook_deliveries').selectAll().where('receiver', '=', receiver).orderBy('id').execute()
const userIdOf = async (email: string) => (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id

t.test('the owner created by the provider is a user.created, signed and verified at both receivers', async (t) => {
  const [w] = await received(one, owner.userId, 1)
  t.match(w!.payload, { type: 'user.created', data: { userId: owner.userId, accountId: owner.accountId, email: owner.email, name: 'Olga Owner', status: 'active', owner: true, twoFactor: false } })
  t.ok(new Date(w!.payload.timestamp).getTime() > 0, 'the timestamp is a date')
  t.match(w!.id, /^msg_[0-9a-f]{32}$/)
  t.match(w!.signature, /^v1,[A-Za-z0-9+/]+=*$/)
  const [w2] = await received(two, owner.userId, 1)
  t.equal(w2!.id, w!.id, 'the same webhook-id at every receiver')
})

t.test('every event type comes from the operation that causes it, in order', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  t.equal((await a.postConfirmed(U, { email: 'hook@example.com', full_name: 'Hook User', phone: '', password: 'hook user passphrase', access: 'chosen' }, owner.password)).statusCode, 303)
  const id = await userIdOf('hook@example.com')
  t.equal((await a.postConfirmed(`${U}/${id}`, { email: 'hook@example.com', full_name: 'Hook Renamed', phone: '' }, owner.password)).statusCode, 303)
  t.equal((await a.postConfirmed(`${U}/${id}/permissions`, { action: 'enable', permission: ['users.view', 'finance.view'] }, owner.password)).statusCode, 303)
  t.equal((await a.postConfirmed(`${U}/${id}/disable`, {}, owner.password)).statusCode, 303)
  t.equal((await a.postConfirmed(`${U}/${id}/enable`, {}, owner.password)).statusCode, 303)
  const u = await signIn(ta, 'hook@example.com', 'hook user passphrase')
  t.equal((await u.postConfirmed(`${base}client/settings/privacy/requests/restriction`, {}, 'hook user passphrase')).statusCode, 303)
  const request = await db.selectFrom('privacy_requests').select('id').where('user_id', '=', id).executeTakeFirstOrThrow()
  t.ok((await startRequest(deps, request.id)).ok)
  t.ok((await rejectRequest(deps, request.id, 'Not this time')).ok)
  // Two-factor on, from its page; then reset by the provider.
  const S = `${base}client/settings/two-factor`
  const key = (await u.get(S)).body.match(/<code id="totp-key">([^<]+)<\/code>/)![1]!.replace(/\s/g, '')
  clock.advance((30_000 - (clock.now().getTime() % 30_000)) / 1000 + 31)
  const code = new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: clock.now().getTime() })
  t.equal((await u.postConfirmed(S, { code }, 'hook user passphrase')).statusCode, 200)
  t.ok((await resetTwoFactor(deps, id)).ok)
  t.ok((await updateUser(deps, id, { email: 'hook.new@example.com' })).ok)
  t.equal((await a.postConfirmed(`${U}/${id}/delete`, {}, owner.password)).statusCode, 303)

  const expected = ['user.created', 'user.updated', 'permissions.changed', 'user.disabled', 'user.enabled', 'privacy_request.created',
    'privacy_request.updated', 'privacy_request.updated', 'two_factor.changed', 'two_factor.changed', 'user.updated', 'user.deleted']
  const got = await received(one, id, expected.length)
  t.same(typesOf(got), expected, 'each event once, in the order of the changes')
  const data = got.map((w) => w.payload.data)
  const ids = { userId: id, accountId: owner.accountId }
  t.match(data[0], { ...ids, email: 'hook@example.com', name: 'Hook User', owner: false, status: 'active' })
  t.match(data[1], { ...ids, name: 'Hook Renamed', changed: ['name'] })
  t.same(data[2], { ...ids, fullAccess: false, permissions: ['finance.view', 'users.view'] })
  t.same(data[3], { ...ids, status: 'disabled' })
  t.same(data[4], { ...ids, status: 'active' })
  t.same(data[5], { ...ids, requestId: request.id, kind: 'restriction', status: 'received', reason: null })
  t.same(data[6], { ...ids, requestId: request.id, kind: 'restriction', status: 'in_progress', reason: null })
  t.same(data[7], { ...ids, requestId: request.id, kind: 'restriction', status: 'rejected', reason: 'Not this time' })
  t.same(data[8], { ...ids, enabled: true, by: 'user' })
  t.same(data[9], { ...ids, enabled: false, by: 'provider' })
  t.match(data[10], { ...ids, email: 'hook.new@example.com', changed: ['email'] })
  t.same(data[11], ids)
  t.ok(got.every((w) => w.verified), 'every signature verified')
  t.equal(new Set(got.map((w) => w.id)).size, expected.length, 'a webhook-id per event')
  t.notOk(got.some((w) => /passphrase|totp|secret|password|hash/i.test(w.body)), 'no secret in any body')
  t.same(typesOf(await received(two, id, expected.length)), expected, 'the other receiver got the same')
})

t.test('Full access lists every permission of the catalog', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const u = await createUser(ta, owner.accountId, 'full@example.com')
  t.equal((await a.postConfirmed(`${U}/${u.userId}/full-access`, { on: '1' }, owner.password)).statusCode, 303)
  const [w] = await received(one, u.userId, 1)
  t.match(w!.payload, { type: 'permissions.changed', data: { fullAccess: true } })
  t.same(w!.payload.data.permissions, [...app.deps.config.permissionCatalog.keys].sort())
})

t.test('a change that rolls back sends nothing', async (t) => {
  const u = await createUser(ta, owner.accountId, 'rollback@example.com')
  await t.rejects(db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ status: 'disabled' }).where('id', '=', u.userId).execute()
    await recordEvent(trx, { type: 'user.disabled', accountId: owner.accountId, actorUserId: null, targetUserId: u.userId, ip: null, details: { by: 'provider' }, at: clock.now() })
    throw new Error('rolled back')
  }), /rolled back/)
  t.ok((await updateUser(deps, u.userId, { name: 'After Rollback' })).ok)
  const got = await received(one, u.userId, 1)
  await received(two, u.userId, 1)
  t.same(typesOf(got), ['user.updated'], 'only the committed change')
  const rows = await db.selectFrom('webhook_events').select(['type', 'seq']).where('user_id', '=', u.userId).execute()
  t.same(rows, [{ type: 'user.updated', seq: '1' }], 'no row for the rolled-back one, and its number was given back')
})

t.test('a receiver that is down gets everything later, in order per user; the other gets it at once', async (t) => {
  await one.stop()
  const x = await createUser(ta, owner.accountId, 'x@example.com')
  const y = await createUser(ta, owner.accountId, 'y@example.com')
  for (const n of [1, 2, 3]) {
    t.ok((await updateUser(deps, x.userId, { name: `X ${n}` })).ok)
    t.ok((await updateUser(deps, y.userId, { name: `Y ${n}` })).ok)
  }
  const names = (list: ReceivedWebhook[]) => list.map((w) => w.payload.data.name)
  t.same(names(await received(two, x.userId, 3)), ['X 1', 'X 2', 'X 3'], 'the receiver that is up: at once, in order')
  t.same(names(await received(two, y.userId, 3)), ['Y 1', 'Y 2', 'Y 3'])
  const ofXY = async () => (await deliveries(one.url)).filter((d) => d.user_id === x.userId || d.user_id === y.userId)
  const heads = async () => (await ofXY()).filter((d) => d.status === 'queued' && d.attempts > 0)
  const before = one.received.length
  const refused = await eventually('both streams refused', async () => { const h = await heads(); return h.length === 2 ? h : undefined }, async () => JSON.stringify(await deliveries(one.url)))
  t.ok(refused.every((d) => /ECONNREFUSED/.test(d.last_error ?? '')), 'last_error says the connection was refused')
  t.equal((await ofXY()).filter((d) => d.attempts > 0).length, 2, 'only the first event of each user was tried')
  // Back, but answering 500.
  one.status = 500
  await one.start()
  await tryNow()
  await eventually('a 500', () => one.received.length >= before + 2 ? true : undefined, () => JSON.stringify(one.received.map((w) => w.answered)))
  const rows = await eventually('the 500s recorded', async () => { const h = await heads(); return h.filter((d) => /HTTP 500/.test(d.last_error ?? '')).length === 2 ? h : undefined }, async () => JSON.stringify(await deliveries(one.url)))
  t.ok(rows.every((d) => d.last_error!.length <= 200 && d.last_error!.includes('not today')), 'the answer is kept short')
  t.same(new Set(one.received.slice(before).map((w) => w.payload.data.name)), new Set(['X 1', 'Y 1']), 'a later event waited for the first')
  one.status = 204
  await tryNow()
  t.same(names(await received(one, x.userId, 3)), ['X 1', 'X 2', 'X 3'], 'everything later, in order')
  t.same(names(await received(one, y.userId, 3)), ['Y 1', 'Y 2', 'Y 3'])
  const ids = one.received.filter((w) => w.payload.data.name === 'X 1').map((w) => w.id)
  t.ok(ids.length >= 2 && new Set(ids).size === 1, 'the webhook-id is the same on every try')
  const done = await eventually('all sent', async () => { const d = (await deliveries(one.url)).filter((r) => r.user_id === x.userId); return d.every((r) => r.status === 'sent') ? d : undefined })
  t.equal(done.length, 3, 'one delivery per event and receiver')
})

t.test('410 Gone gives the delivery up at once and the stream goes on; a redirect is not followed', async (t) => {
  const z = await createUser(ta, owner.accountId, 'z@example.com')
  one.status = 410
  t.ok((await updateUser(deps, z.userId, { name: 'Gone' })).ok)
  const failed = await eventually('the 410 given up', async () => (await deliveries(one.url)).find((d) => d.user_id === z.userId && d.status === 'failed'))
  t.match(failed, { attempts: 1, last_error: /HTTP 410/ })
  one.status = 204
  one.redirectTo = two.url
  t.ok((await updateUser(deps, z.userId, { name: 'Redirected' })).ok)
  await received(two, z.userId, 2)
  const redirected = await eventually('the redirect refused', async () => (await deliveries(one.url)).find((d) => d.user_id === z.userId && d.status === 'queued' && d.attempts > 0))
  t.match(redirected.last_error, /HTTP 307 \(redirects are not followed\)/)
  t.equal(two.of(z.userId).length, 2, 'the other receiver got each once, not the redirected copy')
  one.redirectTo = undefined
  await tryNow()
  t.same((await received(one, z.userId, 1)).map((w) => w.payload.data.name), ['Redirected'])
})

t.test('parallel changes of one user: numbered without gaps in commit order, received in that order', async (t) => {
  const p = await createUser(ta, owner.accountId, 'parallel@example.com')
  const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => await updateUser(deps, p.userId, { name: `Parallel ${i}` })))
  t.ok(results.every((r) => r.ok))
  const rows = await db.selectFrom('webhook_events').select(['seq', 'data']).where('user_id', '=', p.userId).orderBy('seq').execute()
  t.same(rows.map((r) => r.seq), ['1', '2', '3', '4', '5', '6', '7', '8'], 'one number each, no gap')
  const final = (await db.selectFrom('users').select('full_name').where('id', '=', p.userId).executeTakeFirstOrThrow()).full_name
  t.equal(rows.at(-1)!.data.name, final, 'the last numbered is the last committed')
  const got = await received(two, p.userId, 8)
  t.same(got.map((w) => w.payload.data.name), rows.map((r) => r.data.name), 'received in that order')
})

t.test('a tampered body or another secret fails verification', async (t) => {
  const w = one.accepted[0]!
  const headers = { 'webhook-id': w.id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': '' }
  const hook = new Webhook(SECRET)
  headers['webhook-signature'] = hook.sign(w.id, new Date(Number(headers['webhook-timestamp']) * 1000), w.body)
  t.ok(hook.verify(w.body, headers), 'the body as sent verifies')
  t.throws(() => hook.verify(w.body.replace('"type":"', '"type":"x'), headers), /signature/i, 'a changed body does not')
  t.throws(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(w.body, headers), /signature/i, 'nor another secret')
  t.throws(() => hook.verify(w.body, { ...headers, 'webhook-id': 'msg_other' }), /signature/i, 'nor another webhook-id')
})
