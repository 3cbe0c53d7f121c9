// Export of personal data (SPEC §4.3, issue 13), on real PostgreSQL and a
// real SMTP server: re-confirmed, one CSV of every section mailed as an
// attachment and read back with papaparse, formula-safe, at most one in 24
// hours (also when raced), retried through an SMTP outage, and holding
// nothing of the account's other users.
import { sql } from 'kysely'
import type { ParsedMail } from 'mailparser'
import Papa from 'papaparse'
import t from 'tap'
import { formatDateTime } from '../../src/lib/format.ts'
import { cellText, csvLines } from '../../src/lib/csv.ts'
import { Agent, createOwner, createUser, flashOf, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmtp } from '../helpers/smtp.ts'
import { eventually, jobFailed } from '../helpers/wait.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, DELIVERY_RETRY_DELAY_SECONDS: '1' } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const page = `${base}client/settings/privacy`
const post = `${base}client/settings/privacy/export`
const DAY = 24 * 60 * 60

let made = 0
async function freshUser (name = 'Uma User') {
  made++
  return await createUser(ta, owner.accountId, `export-${made}@example.com`, 'a long enough passphrase', name)
}

const exportsOf = async (userId: string) => await db.selectFrom('data_exports').selectAll().where('user_id', '=', userId).orderBy('id').execute()
async function jobsOf (userId: string): Promise<number> {
  const ids = (await exportsOf(userId)).map((e) => e.id)
  if (ids.length === 0) return 0
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'personal-data-export' and data->>'exportId' = any(${ids})`.execute(db)
  return rows[0]!.n
}
const eventsOf = async (type: string, userId: string) => await db.selectFrom('audit_log').select(['actor_user_id', 'target_user_id', 'ip', 'details'])
  .where('action', '=', type).where('target_user_id', '=', userId).execute()

/** The mail's CSV attachment, parsed: rows of [section, record, field, value]. */
function csvOf (mail: ParsedMail): { rows: string[][], text: string } {
  const files = mail.attachments.filter((a) => a.filename?.endsWith('.csv'))
  if (files.length !== 1) throw new Error(`expected one CSV attachment, got ${mail.attachments.map((a) => a.filename).join(', ')}`)
  const text = files[0]!.content.toString('utf8')
  const parsed = Papa.parse<string[]>(text, { newline: '\r\n', skipEmptyLines: true })
  if (parsed.errors.length > 0) throw new Error(`CSV errors: ${JSON.stringify(parsed.errors)}`)
  return { rows: parsed.data, text }
}
const values = (rows: string[][], section: string, field: string): string[] => rows.filter((r) => r[0] === section && r[2] === field).map((r) => r[3]!)

/** Exports through the page: the prompt comes, is answered with the password, and the answer is the redirect. */
async function exportConfirmed (a: Agent, password: string) {
  await a.get(page)
  const prompt = await a.postPrompted(post, {})
  return await a.confirm(prompt, password)
}

t.test('the export is re-confirmed, mailed as one CSV of every section, each formula-like cell neutralised, nothing of other users in it', async (t) => {
  const u = await freshUser()
  const other = await createUser(ta, owner.accountId, 'colleague@example.com', 'a long enough passphrase', 'Cora Colleague')
  // Values a spreadsheet would run, through the normal paths where they exist and SQL where the forms refuse them.
  await db.updateTable('users').set({ full_name: '=HYPERLINK("http://evil.test","x")', phone: '+79990001122', time_zone: 'Europe/Moscow', ip_access: 'list', ip_allow_list: ['127.0.0.1', '10.0.0.0/8'] }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password, { 'user-agent': '@SUM(1) agent' })
  const at = clock.now()
  for (const agent of ['-2+3 agent', '\tTabbed agent', '\rReturned agent', 'Line one\n=line two\n@line three']) {
    await db.insertInto('login_attempts').values({ email: u.email, user_id: u.userId, ip: '198.51.100.7', user_agent: agent, success: false, created_at: at }).execute()
  }
  // The colleague acting on the user (named "another user", their address left out) and on their own (absent).
  await db.insertInto('audit_log').values({ account_id: owner.accountId, actor_user_id: other.userId, target_user_id: u.userId, action: 'user.email_changed', ip: '203.0.113.9', details: JSON.stringify({ to: other.email, by: 'colleague' }), created_at: at, personal_of: other.userId, personal_keys: ['to'] }).execute()
  await db.insertInto('audit_log').values({ account_id: owner.accountId, actor_user_id: other.userId, target_user_id: other.userId, action: 'settings.saved', ip: '203.0.113.9', details: JSON.stringify({ changed: 'Cora Colleague' }), created_at: at }).execute()
  await db.insertInto('sessions').values({ id: 'other-session-hash', user_id: other.userId, data: '{}', ip: '203.0.113.9', user_agent: 'Cora browser', created_at: at, last_seen_at: at }).execute()

  let res = await a.get(page)
  t.match(res.body, 'Export personal data')
  t.match(res.body, `emailed to ${u.email}`)
  const prompt = await a.postPrompted(post, {})
  t.match(prompt.body, 'export your personal data', 'the prompt names the operation')
  t.same(await exportsOf(u.userId), [], 'nothing queued before the proof')
  res = await a.confirm(prompt, u.password)
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${page}#exports`)
  const rows = await exportsOf(u.userId)
  t.equal(rows.length, 1)
  t.equal(await jobsOf(u.userId), 1, 'its job queued with it')
  const job = (await sql<{ data: unknown }>`select data from pgboss.job where name = 'personal-data-export' and data->>'exportId' = ${rows[0]!.id}`.execute(db)).rows[0]!
  t.same(job.data, { exportId: rows[0]!.id }, 'the job carries the row id only')
  t.equal((await eventsOf('personal_data.export_requested', u.userId)).length, 1)
  res = await a.get(page)
  t.match(flashOf(res.body) ?? '', `will be emailed to ${u.email}`)

  const mail = await smtp.waitFor(u.email)
  t.equal(mail.subject, 'Your personal data')
  t.match(mail.text ?? '', 'Attached is the export')
  t.match(mail.text ?? '', 'Europe/Moscow', 'the request time in the user\'s zone')
  const csv = csvOf(mail)
  t.same(csv.rows[0], ['section', 'record', 'field', 'value'], 'the header row')
  t.ok(/^\ufeff?"section","record","field","value"\r\n/.test(csv.text), 'every cell quoted')
  t.ok(csv.text.split('\r\n').filter((l) => l !== '').every((l) => /^\ufeff?"/.test(l) || !/^[=+\-@]/.test(l)), 'no line starts a formula')
  const sections = new Set(csv.rows.slice(1).map((r) => r[0]))
  for (const s of ['profile', 'settings', 'sign_ins', 'sessions', 'activity', 'exports', 'consents', 'consent_history', 'requests', 'notification_settings', 'telegram', 'avatar', 'linked_services']) t.ok(sections.has(s), `section ${s}`)

  t.same(values(csv.rows, 'profile', 'email'), [u.email])
  t.same(values(csv.rows, 'profile', 'full_name'), ['\'=HYPERLINK("http://evil.test","x")'], '= neutralised')
  t.same(values(csv.rows, 'profile', 'phone'), ["'+79990001122"], '+ neutralised')
  t.same(values(csv.rows, 'profile', 'two_factor'), ['false'])
  t.same(values(csv.rows, 'settings', 'ip_allow_list'), ['127.0.0.1\n10.0.0.0/8'], 'a list, one entry a line, in one cell')
  const agents = values(csv.rows, 'sign_ins', 'user_agent')
  for (const v of ["'@SUM(1) agent", "'-2+3 agent", "'\tTabbed agent", "'\rReturned agent", "Line one\n'=line two\n'@line three"]) {
    t.ok(agents.includes(v), `sign-in user agent ${JSON.stringify(v)}`)
  }
  t.same(values(csv.rows, 'sessions', 'user_agent'), ["'@SUM(1) agent"], 'the user\'s session, neutralised')
  for (const v of values(csv.rows, 'sign_ins', 'created_at').concat(values(csv.rows, 'profile', 'created_at'))) {
    t.match(v, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'times in ISO 8601 UTC')
  }
  t.same(values(csv.rows, 'exports', 'status'), ['queued'], 'this export, being prepared')
  const fields = new Set(csv.rows.map((r) => r[2]))
  for (const secret of ['password_hash', 'totp_secret', 'code_hash', 'id', 'data']) t.notOk(fields.has(secret), `no ${secret}`)

  const actions = csv.rows.filter((r) => r[0] === 'activity' && r[2] === 'action').map((r) => r[3])
  t.ok(actions.includes('personal_data.export_requested'), 'the request itself')
  t.ok(actions.includes('user.email_changed'), 'what the colleague did to the user')
  t.notOk(actions.includes('settings.saved'), 'not the colleague\'s own event')
  t.ok(values(csv.rows, 'activity', 'actor').includes('another user'), 'the colleague is not named')
  for (const theirs of [other.email, 'Cora', owner.email, 'Olga Owner', 'other-session-hash']) t.notOk(csv.text.includes(theirs), `nothing of other users: ${theirs}`)

  await eventually('the export marked sent', async () => (await exportsOf(u.userId))[0]?.status === 'sent' ? true : undefined)
  const sent = (await exportsOf(u.userId))[0]!
  t.ok(sent.sent_at !== null)
  t.equal(sent.last_error, null)
  t.same(await eventsOf('personal_data.exported', u.userId), [{ actor_user_id: null, target_user_id: u.userId, ip: null, details: {} }])

  res = await a.get(page)
  t.match(res.body, `Requested at ${formatDateTime(sent.requested_at, 'en', 'Europe/Moscow')}`)
  t.match(res.body, `Sent at ${formatDateTime(sent.sent_at!, 'en', 'Europe/Moscow')}`)
  t.match(res.body, `the next one is possible after ${formatDateTime(sent.requested_at.getTime() + DAY * 1000, 'en', 'Europe/Moscow')}`)
  t.notMatch(res.body, 'client/settings/privacy/export"', 'no button until then')
})

t.test('a second export within 24 hours: the page again (422) with when the next is possible, nothing queued', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ time_zone: 'Asia/Tokyo' }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password)
  t.equal((await exportConfirmed(a, u.password)).statusCode, 303)
  const first = (await exportsOf(u.userId))[0]!
  clock.advance(DAY - 60)
  const b = await signIn(ta, u.email, u.password)
  await b.get(page)
  const res = await b.postInvalid(post, {})
  t.match(res.body, `the next one is possible after ${formatDateTime(first.requested_at.getTime() + DAY * 1000, 'en', 'Asia/Tokyo')}`)
  t.match(res.body, 'role="alert"')
  t.equal((await exportsOf(u.userId)).length, 1, 'no second row')
  t.equal(await jobsOf(u.userId), 1, 'no second job')
  t.equal((await eventsOf('personal_data.export_requested', u.userId)).length, 1)
})

t.test('parallel posts of a confirmed session: exactly one export queued, the others told when', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  t.equal((await exportConfirmed(a, u.password)).statusCode, 303)
  await smtp.waitFor(u.email)
  // The first export made old while the confirmation still holds: every post below is past the prompt.
  await db.updateTable('data_exports').set({ requested_at: new Date(clock.now().getTime() - (DAY + 60) * 1000) }).where('user_id', '=', u.userId).execute()
  await a.get(page)
  const answers = await Promise.all(Array.from({ length: 8 }, async () => await a.postStillConfirmed(post, {})))
  t.same(answers.map((r) => r.statusCode).sort(), [303, 422, 422, 422, 422, 422, 422, 422])
  for (const r of answers.filter((r) => r.statusCode === 422)) t.match(r.body, 'the next one is possible after')
  t.equal((await exportsOf(u.userId)).length, 2, 'one new row')
  t.equal(await jobsOf(u.userId), 2, 'one new job')
  await smtp.waitFor(u.email, 2)
})

t.test('after 24 hours another export is allowed', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  t.equal((await exportConfirmed(a, u.password)).statusCode, 303)
  await smtp.waitFor(u.email)
  clock.advance(DAY + 1)
  const b = await signIn(ta, u.email, u.password)
  const res = await b.get(page)
  t.match(res.body, 'client/settings/privacy/export"', 'the button is back')
  t.equal((await exportConfirmed(b, u.password)).statusCode, 303)
  const mail = await smtp.waitFor(u.email, 2)
  t.same(values(csvOf(mail).rows, 'exports', 'status'), ['sent', 'queued'], 'both exports in the second')
})

t.test('SMTP down while exporting: the try fails, the row keeps the error, and the mail arrives once the server is back', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await smtp.stop()
  let restarted = false
  t.teardown(async () => { if (!restarted) await smtp.start() })
  t.equal((await exportConfirmed(a, u.password)).statusCode, 303)
  await jobFailed(db, 'personal-data-export')
  const failed = (await exportsOf(u.userId))[0]!
  t.equal(failed.status, 'queued', 'still to send')
  t.ok(failed.last_error !== null, 'the error kept')
  t.equal(failed.sent_at, null)
  await smtp.start()
  restarted = true
  const mail = await smtp.waitFor(u.email)
  t.ok(values(csvOf(mail).rows, 'profile', 'email').includes(u.email))
  await eventually('the export marked sent', async () => (await exportsOf(u.userId))[0]?.status === 'sent' ? true : undefined)
  t.equal(smtp.messages.filter((m) => m.subject === 'Your personal data' && m.to !== undefined && JSON.stringify(m.to).includes(u.email)).length, 1, 'sent once')
})

t.test('a try that fails for good gives the export up: status failed, the error kept, and the user may ask again at once', async (t) => {
  // Its own app, mailing to a port nobody listens on, with one retry.
  const dead = new TestSmtp()
  await dead.start()
  await dead.stop()
  const ta2 = await startTestApp(t, { env: { SMTP_URL: dead.url, DELIVERY_RETRY_DELAY_SECONDS: '1', DELIVERY_RETRY_LIMIT: '1' } })
  const db2 = ta2.app.deps.db
  const o = await createOwner(ta2, 'given-up@example.com')
  const a = new Agent(ta2.app)
  await a.logIn(ta2.base, o.email, o.password)
  await a.get(`${ta2.base}client/settings/privacy`)
  const prompt = await a.postPrompted(`${ta2.base}client/settings/privacy/export`, {})
  t.equal((await a.confirm(prompt, o.password)).statusCode, 303)
  const row = await eventually('the export given up', async () => {
    const r = await db2.selectFrom('data_exports').selectAll().where('user_id', '=', o.userId).executeTakeFirst()
    return r?.status === 'failed' ? r : undefined
  })
  t.match(row.last_error ?? '', /ECONNREFUSED|connect/i, 'why, kept')
  t.equal(row.sent_at, null)
  const { rows } = await sql<{ retry_limit: number, retry_backoff: boolean }>`select retry_limit, retry_backoff from pgboss.queue where name = 'personal-data-export'`.execute(db2)
  t.same(rows, [{ retry_limit: 1, retry_backoff: true }], 'the queue\'s retry policy: the delivery limit, with backoff')
  const res = await a.get(`${ta2.base}client/settings/privacy`)
  t.match(res.body, 'Could not be sent')
  t.match(res.body, 'client/settings/privacy/export"', 'a given-up export does not count against the 24 hours')
})

t.test('a completed deletion erases what an export row may quote and gives a queued one up', async (t) => {
  const u = await freshUser()
  const keep = await freshUser()
  const at = clock.now()
  for (const who of [u, keep]) {
    await db.insertInto('data_exports').values([
      { user_id: who.userId, requested_at: at, status: 'queued', last_error: `550 <${who.email}> rejected` },
      { user_id: who.userId, requested_at: at, sent_at: at, status: 'sent' }
    ]).execute()
  }
  const { exportsPart } = await import('../../src/features/privacy/exports/index.ts')
  await db.transaction().execute(async (trx) => {
    await exportsPart.personalData!.erase!(trx, { id: u.userId, accountId: owner.accountId, email: u.email, fullName: 'Uma User', phone: null })
  })
  t.same((await exportsOf(u.userId)).map((e) => [e.status, e.last_error]), [['failed', null], ['sent', null]])
  t.same((await exportsOf(keep.userId)).map((e) => [e.status, e.last_error]), [['queued', `550 <${keep.email}> rejected`], ['sent', null]], 'another user\'s untouched')
})

t.test('users of the same account never see each other\'s exports', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  t.equal((await exportConfirmed(a, u.password)).statusCode, 303)
  const o = await signIn(ta, owner.email, owner.password)
  const res = await o.get(page)
  t.notMatch(res.body, 'Requested at', 'the owner has no export of their own, and sees none of the user\'s')
  t.notMatch(res.body, 'the next one is possible')
  t.match(res.body, 'client/settings/privacy/export"', 'the owner may export their own')
  t.match(res.body, `emailed to ${owner.email}`)
})

t.test('a post without the CSRF token is refused before anything', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  const res = await a.postRefused(post, { _csrf: null })
  t.equal(res.statusCode, 403)
  t.same(await exportsOf(u.userId), [])
})

t.test('the CSV writer: every cell quoted, = + - @ tab CR NUL neutralised, a multi-line cell one cell, times in UTC', async (t) => {
  const cells = ['=1+1', '+1', '-1', '@A1', '\tx', '\rx', '\0x', 'plain', 'one\n=two\r\n-three', '']
  const text = csvLines([cells])
  const parsed = Papa.parse<string[]>(text, { newline: '\r\n' })
  t.same(parsed.errors, [])
  t.same(parsed.data[0], ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "'\0x", 'plain', "one\n'=two\r\n'-three", ''])
  t.ok(text.split(',').every((c) => c.startsWith('"') && c.endsWith('"')), 'every cell quoted')
  t.equal(cellText(new Date(Date.UTC(2026, 10, 26, 3, 4, 5))), '2026-11-26T03:04:05.000Z')
  t.equal(cellText(null), '')
  t.equal(cellText(['a', 'b']), 'a\nb')
  t.equal(cellText({ k: 'v' }), '{"k":"v"}')
})
