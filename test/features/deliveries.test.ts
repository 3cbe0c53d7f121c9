// Deliveries on a real SMTP server and the fake SMS gateway: an outage
// delays a message and loses nothing; the retries back off up to the cap
// and give up after the limit; no link or code rests in clear in the queue
// tables or in deliveries. Retries are pulled forward (start_after = now)
// instead of waited for: the recorded delays are what is checked. (The
// give-up is logged as an error: that line in the output is expected.)
import { sql } from 'kysely'
import t from 'tap'
import { cleanUp } from '../../src/features/maintenance/service.ts'
import { addSeconds } from '../../src/lib/clock.ts'
import { notifyAddress } from '../../src/lib/deliveries/index.ts'
import { TelegramApiError } from '../../src/lib/telegram.ts'
import { unseal } from '../../src/lib/sealed.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmsGateway } from '../helpers/sms-gateway.ts'
import { linkIn, TestSmtp } from '../helpers/smtp.ts'
import { eventually } from '../helpers/wait.ts'

const smtp = await TestSmtp.started(t)
const gateway = new TestSmsGateway()
await gateway.start()
t.teardown(() => gateway.stop())
// Base delay 1 s (the test default), capped at 4 s, 4 retries.
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, SMS_WEBHOOK_URL: gateway.url, PUBLIC_URL: 'http://panel.test', DELIVERY_RETRY_MAX_DELAY_SECONDS: '4', DELIVERY_RETRY_LIMIT: '4' } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)

const deliveryOf = async (userId: string, type: string) => await eventually(`a ${type} delivery`,
  async () => await db.selectFrom('deliveries').selectAll().where('user_id', '=', userId).where('type', '=', type).orderBy('id', 'desc').executeTakeFirst())
const rowOf = async (id: string) => await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
/** Runs the delivery's next try now instead of after its delay. */
const tryNow = async (id: string, channel = 'mail') => { await sql`update pgboss.job set start_after = now() where name = ${channel} and state = 'created' and data->>'id' = ${id}`.execute(db) }
const untilTried = async (id: string, n: number) => await eventually(`try ${n} of delivery ${id}`,
  async () => { const r = await rowOf(id); return r.attempts >= n || r.status !== 'queued' ? r : undefined }, async () => JSON.stringify(await rowOf(id)))
const seconds = (a: Date | string, b: Date | string) => (new Date(a).getTime() - new Date(b).getTime()) / 1000

async function forgot (email: string): Promise<void> {
  const a = new Agent(app)
  await a.get(`${base}password/forgot`)
  await a.post(`${base}password/forgot`, { email })
}

t.test('with SMTP down a mail is retried with doubling delays up to the cap, and arrives when SMTP is back', async (t) => {
  const u = await createUser(ta, owner.accountId, 'outage@example.com')
  await smtp.stop()
  await forgot(u.email)
  const { id } = await deliveryOf(u.userId, 'password_reset')
  const steps = [1, 2, 4, 4] // min(cap 4, 1 · 2^(n−1))
  for (const [i, step] of steps.entries()) {
    const r = await untilTried(id, i + 1)
    t.equal(r.status, 'queued', `after try ${i + 1}: still queued`)
    t.match(r.last_error, /ECONNREFUSED/, 'last_error says why')
    const delay = seconds(r.next_attempt_at, r.last_attempt_at!)
    t.ok(delay >= step / 2 - 0.01 && delay <= step + 0.01, `the next try waits ${delay} s, within [${step / 2}, ${step}]`)
    if (i < steps.length - 1) await tryNow(id)
  }
  t.equal(smtp.messages.length, 0, 'nothing arrived meanwhile')
  await smtp.start()
  await tryNow(id)
  const mail = await smtp.waitFor(u.email)
  const done = await untilTried(id, 5)
  t.match(done, { status: 'sent', attempts: 5, payload: null })
  t.ok(done.sent_at !== null, 'sent_at is set')
  const path = linkIn(mail, /http:\/\/panel\.test\/password\/reset\/[\w-]+/).replace('http://panel.test', '')
  t.equal((await new Agent(app).get(path)).statusCode, 200, 'the link works')
  t.equal(smtp.messages.filter((m) => m.subject === 'Set a new password').length, 1, 'delivered once')
})

t.test('a delivery that keeps failing ends failed after the limit, with its message gone', async (t) => {
  const u = await createUser(ta, owner.accountId, 'never@example.com')
  await smtp.stop()
  t.teardown(() => smtp.start())
  await forgot(u.email)
  const { id } = await deliveryOf(u.userId, 'password_reset')
  for (let n = 1; n <= 4; n++) {
    await untilTried(id, n)
    await tryNow(id)
  }
  const failed = await eventually('the delivery to fail', async () => { const r = await rowOf(id); return r.status === 'failed' ? r : undefined })
  t.match(failed, { attempts: 5, payload: null, sent_at: null })
  t.match(failed.last_error, /ECONNREFUSED/)
  const pending = async () => (await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'mail' and data->>'id' = ${id} and state in ('created', 'retry', 'active')`.execute(db)).rows[0]!.n
  await eventually('no try left', async () => await pending() === 0 ? true : undefined, async () => `${await pending()} jobs`)
})

/** Where the text occurs in clear: pg-boss's job and archive tables, and deliveries. */
async function inClear (text: string): Promise<string[]> {
  const { rows } = await sql<{ place: string }>`
    select 'pgboss.job' as place from pgboss.job where position(${text} in data::text) > 0
    union all select 'pgboss.archive' from pgboss.archive where position(${text} in data::text) > 0
    union all select 'deliveries' from deliveries d where position(${text} in d::text) > 0`.execute(db)
  return rows.map((r) => r.place)
}

t.test('no reset, invitation or email-change link and no SMS code rests in clear in the queue tables or deliveries', async (t) => {
  await smtp.stop()
  await gateway.stop()
  const a = await signIn(ta, owner.email, owner.password)
  const target = await createUser(ta, owner.accountId, 'renamed@example.com')
  const phoneUser = await createUser(ta, owner.accountId, 'phone@example.com')
  const p = await signIn(ta, phoneUser.email, phoneUser.password)
  await forgot(owner.email)
  await a.get(`${base}client/users/new`)
  await a.postConfirmed(`${base}client/users`, { email: 'invited@example.com', full_name: 'Ivy Invited', password: '', access: 'chosen' }, owner.password)
  await a.get(`${base}client/users/${target.userId}/edit`)
  await a.postConfirmed(`${base}client/users/${target.userId}`, { email: 'renamed-new@example.com', full_name: 'Uma User', phone: '' }, owner.password)
  await p.postConfirmed(`${base}client/profile/phone`, { phone: '+79123456700' }, phoneUser.password)
  await p.postStillConfirmed(`${base}client/profile/phone/verification`, {})
  const types = ['password_reset', 'invite', 'email_change_confirm', 'phone_code']
  const rows = await eventually('a delivery of each kind, tried once', async () => {
    const found = await db.selectFrom('deliveries').selectAll().where('type', 'in', types).where('status', '=', 'queued').where('attempts', '>=', 1).execute()
    return types.every((type) => found.some((r) => r.type === type)) ? found : undefined
  })
  const secrets: string[] = []
  for (const r of rows) {
    const message = unseal<{ text: string }>(app.deps.keys.jobs, r.payload!)
    const found = message.text.match(/(?:reset|confirm)\/([\w-]{16,})|\b(\d{6})\b/)
    t.ok(found, `${r.type}: the sealed message holds its link or code`)
    secrets.push(found![1] ?? found![2]!)
  }
  for (const secret of secrets) t.same(await inClear(secret), [], 'not in clear while waiting')
  await smtp.start()
  await gateway.start()
  for (const r of rows) await tryNow(r.id, r.channel)
  await smtp.waitFor('renamed-new@example.com')
  await smtp.waitFor('invited@example.com')
  const sms = await gateway.waitFor('+79123456700')
  t.ok(secrets.some((s) => sms.text.includes(s)), 'the SMS carries the sealed code')
  await eventually('all sent', async () => (await db.selectFrom('deliveries').select('status').where('status', '=', 'queued').execute()).length === 0 ? true : undefined)
  for (const secret of secrets) t.same(await inClear(secret), [], 'not in clear once sent')
})

t.test('a link that expires before it can be sent is not sent; housekeeping deletes ended deliveries after a week', async (t) => {
  const u = await createUser(ta, owner.accountId, 'late@example.com')
  await smtp.stop()
  t.teardown(() => smtp.start())
  await forgot(u.email)
  const { id } = await deliveryOf(u.userId, 'password_reset')
  await untilTried(id, 1)
  clock.advance(3601)
  await tryNow(id)
  const r = await eventually('the delivery to end', async () => { const r = await rowOf(id); return r.status !== 'queued' ? r : undefined })
  t.match(r, { status: 'failed', attempts: 1, payload: null, last_error: /expired/ })

  const queued = await db.insertInto('deliveries').values({ channel: 'mail', type: 'test', payload: 'x', next_attempt_at: addSeconds(clock.now(), -8 * 86400), created_at: addSeconds(clock.now(), -8 * 86400) }).returning('id').executeTakeFirstOrThrow()
  await db.updateTable('deliveries').set({ created_at: addSeconds(clock.now(), -8 * 86400) }).where('id', '=', id).execute()
  await cleanUp(app.deps)
  t.equal((await db.selectFrom('deliveries').select('id').where('id', '=', id).execute()).length, 0, 'an ended delivery of 8 days ago is gone')
  t.equal((await db.selectFrom('deliveries').select('id').where('id', '=', queued.id).execute()).length, 1, 'a queued one stays')
  t.ok((await db.selectFrom('deliveries').select('id').where('status', '<>', 'queued').execute()).length > 0, 'recent ended ones stay')
})

t.test('a job queued before deliveries existed is still sent; a message that cannot be unsealed fails at once', async (t) => {
  await app.deps.jobs.send('mail', { to: 'legacy@example.com', subject: 'Queued before the upgrade', text: 'Still delivered.' } as never)
  t.equal((await smtp.waitFor('legacy@example.com')).subject, 'Queued before the upgrade')
  const row = await db.insertInto('deliveries').values({ channel: 'mail', type: 'test', payload: 'c2VhbGVkIHVuZGVyIGFub3RoZXIga2V5IGxvbmcgZW5vdWdo', next_attempt_at: clock.now(), created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()
  await app.deps.jobs.send('mail', { id: row.id, attempt: 0 })
  const r = await eventually('the delivery to end', async () => { const r = await rowOf(row.id); return r.status !== 'queued' ? r : undefined })
  t.match(r, { status: 'failed', attempts: 0, payload: null, last_error: /unsealed/ })
})

t.test('a channel judges its own failures: "retry after N s" replaces the backoff and still counts toward the limit; "give up" ends at once', async (t) => {
  // The Telegram channel (channels.ts) turns the Bot API's 429 into RetryAfter and its 403 into GiveUp; here its sender answers as told.
  const answers: TelegramApiError[] = []
  const tg = await startTestApp(t, { env: { DELIVERY_RETRY_LIMIT: '1' }, build: { sendTelegram: async () => { const e = answers.shift(); if (e !== undefined) throw e } } })
  const tdb = tg.app.deps.db
  const queue = async (chatId: string) => await tdb.transaction().execute(async (trx) => {
    await notifyAddress(tg.app.deps, trx, { channel: 'telegram', address: chatId, language: 'en' }, 'telegram_unlinked', {})
    return (await trx.selectFrom('deliveries').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id
  })
  const row = async (id: string) => await tdb.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const tried = async (id: string, n: number) => await eventually(`try ${n}`, async () => { const r = await row(id); return r.attempts >= n ? r : undefined })

  answers.push(new TelegramApiError(429, 'Too Many Requests: retry after 30', 30), new TelegramApiError(429, 'Too Many Requests: retry after 30', 30))
  const slow = await queue('1001')
  const first = await tried(slow, 1)
  t.equal(first.status, 'queued')
  t.equal(seconds(first.next_attempt_at, first.last_attempt_at!), 30, 'the next try after retry_after, not the 1 s backoff')
  t.match(first.last_error, /TelegramApiError: Telegram Bot API answered 429/, 'last_error is the Bot API\'s answer')
  await sql`update pgboss.job set start_after = now() where name = 'telegram' and state = 'created' and data->>'id' = ${slow}`.execute(tdb)
  const second = await tried(slow, 2)
  t.match(second, { status: 'failed', payload: null }, 'past the limit (1 retry): failed, retry_after or not')

  answers.push(new TelegramApiError(403, 'Forbidden: user is deactivated', undefined))
  const gone = await queue('1002')
  const ended = await eventually('given up', async () => { const r = await row(gone); return r.status !== 'queued' ? r : undefined })
  t.match(ended, { status: 'failed', attempts: 1, payload: null, last_error: /403: Forbidden: user is deactivated/ }, 'one try, then failed')

  answers.push(new TelegramApiError(502, 'Bad Gateway', undefined))
  const flaky = await queue('1003')
  const backoff = await tried(flaky, 1)
  t.equal(backoff.status, 'queued', 'any other failure: the backoff')
  const d = seconds(backoff.next_attempt_at, backoff.last_attempt_at!)
  t.ok(d >= 0.5 && d <= 1, `waits ${d} s, within the first step`)
})
