// Notifications (SPEC §4.8): the matrix page, what a notification goes out
// on, the one-click unsubscribe and the notify command, with a real SMTP
// server, the loopback SMS gateway and a loopback Telegram Bot API.
import { mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ParsedMail } from 'mailparser'
import t from 'tap'
import { runCli } from '../helpers/cli.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { sendNotification } from '../../src/features/notifications/index.ts'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { notify } from '../../src/lib/deliveries/index.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmsGateway } from '../helpers/sms-gateway.ts'
import { TestSmtp } from '../helpers/smtp.ts'
import { eventually } from '../helpers/wait.ts'

/** The Bot API on loopback: records every sendMessage. */
async function startBotApi (tt: { teardown: (fn: () => unknown) => void }): Promise<{ url: string, calls: Array<{ path: string, body: { chat_id: string, text: string } }> }> {
  const calls: Array<{ path: string, body: { chat_id: string, text: string } }> = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      calls.push({ path: req.url ?? '', body: JSON.parse(body) as { chat_id: string, text: string } })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"result":{"message_id":1}}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  tt.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, calls }
}

const smtp = await TestSmtp.started(t)
const sms = new TestSmsGateway()
await sms.start()
t.teardown(() => sms.stop())
const bot = await startBotApi(t)
const BOT_TOKEN = '123456:test-bot-token'
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, SMS_WEBHOOK_URL: sms.url, TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_URL: bot.url } })
const { app, base } = ta
const { db } = app.deps
const PAGE = `${base}client/settings/notifications`

const rowsOf = async (userId: string) => await db.selectFrom('notification_settings').select(['type', 'channel', 'enabled']).where('user_id', '=', userId).orderBy('type').orderBy('channel').execute()
const verifyPhone = async (userId: string, phone: string) => { await db.updateTable('users').set({ phone, phone_verified: true }).where('id', '=', userId).execute() }
const linkTelegram = async (userId: string, chatId: string) => { await db.insertInto('telegram_links').values({ user_id: userId, chat_id: chatId, username: null, linked_at: new Date() }).execute() }
const header = (m: ParsedMail, name: string): string | undefined => m.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '')
/** The checkbox of a type on a channel, checked or not; undefined when the cell has none. */
function box (html: string, channel: string, type: string): boolean | undefined {
  const m = html.match(new RegExp(`<input type="checkbox" name="${channel}" value="${type}"( checked)?>`))
  return m === null ? undefined : m[1] !== undefined
}

const owner = await createOwner(ta, 'owner@example.com')

t.test('the matrix: defaults, security always on, and what each unusable channel needs', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const res = await a.get(PAGE)
  t.equal(res.statusCode, 200)
  t.equal(box(res.body, 'mail', 'billing'), true, 'email on by default')
  t.equal(box(res.body, 'mail', 'security'), undefined, 'no box for security')
  t.match(res.body, /id="type-security"[\s\S]*?Always on/)
  t.equal(box(res.body, 'mail', 'news'), undefined, 'marketing without consent: no box')
  t.match(res.body, /href="\/client\/settings\/privacy">Needs your consent to news/)
  t.equal(box(res.body, 'sms', 'billing'), undefined, 'SMS needs a verified phone')
  t.match(res.body, /href="\/client\/profile">Verify a phone number in your Profile/)
  t.equal(box(res.body, 'telegram', 'billing'), undefined, 'Telegram needs a link')
  t.match(res.body, /href="\/client\/settings\/telegram">Link Telegram/)
  const settings = await a.get(`${base}client/settings`)
  t.match(settings.body, /href="\/client\/settings\/notifications"/, 'a block on User settings')
})

t.test('save: one post sets every box, audited; the page shows it', async (t) => {
  const u = await createUser(ta, owner.accountId, 'saver@example.com')
  await verifyPhone(u.userId, '+79123456701')
  const a = await signIn(ta, u.email, u.password)
  t.equal(box((await a.get(PAGE)).body, 'sms', 'billing'), false, 'a verified phone: the SMS box, off by default')
  const res = await a.post(PAGE, { mail: ['billing', 'low-balance', 'service-expiry', 'maintenance'], sms: ['billing'] })
  t.equal(res.statusCode, 303)
  const rows = await rowsOf(u.userId)
  t.same(rows.filter((r) => r.enabled).map((r) => `${r.type}:${r.channel}`).sort(), ['billing:mail', 'billing:sms', 'low-balance:mail', 'maintenance:mail', 'service-expiry:mail'])
  t.same(rows.filter((r) => !r.enabled).map((r) => `${r.type}:${r.channel}`).sort(), ['low-balance:sms', 'maintenance:sms', 'service-expiry:sms', 'support:mail', 'support:sms'])
  t.notOk(rows.some((r) => r.type === 'security' || r.type === 'news' || r.channel === 'telegram'), 'only the boxes shown are stored')
  const page = await a.get(PAGE)
  t.equal(box(page.body, 'sms', 'billing'), true)
  t.equal(box(page.body, 'mail', 'support'), false)
  const audit = await db.selectFrom('audit_log').select(['details', 'actor_user_id']).where('action', '=', 'notifications.changed').where('target_user_id', '=', u.userId).execute()
  t.equal(audit.length, 1)
  t.same((audit[0]!.details as { changes: string }).changes.split(' ').sort(), ['billing:sms:on', 'support:mail:off'])

  // The same save sent four times at once: one audit row names the change, the others find nothing changed.
  const burst = await Promise.all(Array.from({ length: 4 }, async () => await a.post(PAGE, { mail: ['billing', 'low-balance', 'service-expiry', 'maintenance', 'support'], sms: ['billing'] })))
  t.same(burst.map((r) => r.statusCode), [303, 303, 303, 303])
  const after = await db.selectFrom('audit_log').select('details').where('action', '=', 'notifications.changed').where('target_user_id', '=', u.userId).orderBy('id').execute()
  t.equal(after.length, 2, 'one more audit row')
  t.equal((after[1]!.details as { changes: string }).changes, 'support:mail:on')
})

t.test('bad posts: 422 with a message, nothing saved', async (t) => {
  const u = await createUser(ta, owner.accountId, 'bad@example.com')
  const a = await signIn(ta, u.email, u.password)
  await a.get(PAGE)
  const cases: Array<[Record<string, string | string[]>, RegExp]> = [
    [{ mail: 'billing', push: 'billing' }, /a channel that does not exist/],
    [{ mail: ['billing', 'vps-reboot'] }, /a notification type that does not exist/],
    [{ mail: ['billing', 'billing'] }, /the same choice twice/],
    [{ mail: 'billing', sms: 'billing' }, /cannot be used yet/],
    [{ mail: 'billing', telegram: 'support' }, /cannot be used yet/],
    [{ mail: 'news' }, /cannot be used yet/],
    [{ mail: 'security' }, /Security notices cannot be changed/],
    [{ mail: 'billing', user_id: owner.userId }, /a channel that does not exist/]
  ]
  for (const [form, message] of cases) {
    const res = await a.post(PAGE, form)
    t.equal(res.statusCode, 422, JSON.stringify(form))
    t.match(res.body, message)
    t.match(res.body, /role="alert"/)
  }
  t.same(await rowsOf(u.userId), [], 'nothing stored')
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'notifications.changed').where('actor_user_id', '=', u.userId).execute()).length, 0)
})

t.test('a forged form cannot reach another user: the form has no user, a foreign token is refused', async (t) => {
  const victim = await createUser(ta, owner.accountId, 'victim@example.com')
  const other = await createOwner(ta, 'attacker@example.net')
  const attacker = await signIn(ta, other.email, other.password)
  const page = await attacker.get(PAGE)
  t.notMatch(page.body, /name="(user|user_id|userId|id)"/, 'no user id in the form')
  // The attacker's own valid token, with a field naming the victim: refused whole.
  t.equal((await attacker.post(PAGE, { mail: [], user_id: victim.userId })).statusCode, 422)
  // The attacker's token sent with the victim's session (a cross-site post): the CSRF check refuses it.
  const v = await signIn(ta, victim.email, victim.password)
  const forged = new Agent(app)
  for (const [k, val] of v.cookies) forged.cookies.set(k, val)
  forged.lastCsrf = attacker.lastCsrf
  const res = await forged.post(PAGE, { mail: [] })
  t.equal(res.statusCode, 403)
  // The attacker's valid post changes the attacker's own rows only.
  t.equal((await attacker.post(PAGE, { mail: [] })).statusCode, 303)
  t.same(await rowsOf(victim.userId), [])
  t.ok((await rowsOf(other.userId)).length > 0)
})

t.test('security notices are always mailed, without an unsubscribe; a forged stored "off" changes nothing', async (t) => {
  const u = await createUser(ta, owner.accountId, 'secure@example.com')
  const a = await signIn(ta, u.email, u.password)
  await a.get(PAGE)
  t.equal((await a.post(PAGE, { mail: [] })).statusCode, 303, 'everything switched off')
  // Even a row no form can write.
  await db.insertInto('notification_settings').values({ user_id: u.userId, type: 'security', channel: 'mail', enabled: false, updated_at: new Date() }).execute()
  const channels = await db.transaction().execute(async (trx) => await notify(app.deps, trx, u.userId, 'password_changed', { at: new Date(), ip: '192.0.2.1' }))
  t.same(channels, ['mail'])
  const mail = await smtp.waitFor(u.email)
  t.match(mail.subject, /password was changed/)
  t.equal(header(mail, 'list-unsubscribe'), undefined, 'no List-Unsubscribe on a security notice')
  t.equal(header(mail, 'list-unsubscribe-post'), undefined)
  t.notMatch(`${mail.text ?? ''}${String(mail.html)}`, /unsubscribe/, 'nor a link in the body')
  const r = await sendNotification(app.deps, u.userId, 'security', 'New sign-in', 'Someone signed in.')
  t.same(r, { ok: true, userId: u.userId, type: 'security', channels: ['mail'] })
})

t.test('marketing without consent is not sent, even with a stored "on"', async (t) => {
  const u = await createUser(ta, owner.accountId, 'news@example.com')
  await linkTelegram(u.userId, '555001')
  await db.insertInto('notification_settings').values(['mail', 'telegram'].map((channel) => ({ user_id: u.userId, type: 'news', channel: channel as 'mail' | 'telegram', enabled: true, updated_at: new Date() }))).execute()
  const r = await sendNotification(app.deps, u.userId, 'news', 'Black Friday', 'Half price.')
  t.same(r, { ok: true, userId: u.userId, type: 'news', channels: [] })
  t.equal((await db.selectFrom('deliveries').select('id').where('user_id', '=', u.userId).execute()).length, 0)
})

t.test('marketing follows the consents: email consent, a box for email and Telegram; none for SMS', async (t) => {
  const published = await publishPolicy(app.deps, { document: 'email-news', version: 1, effectiveAt: new Date(ta.clock.now().getTime() - 3600_000).toISOString(), url: 'https://example.com/news-terms' })
  t.ok(published.ok, JSON.stringify(published))
  const u = await createUser(ta, owner.accountId, 'consent@example.com')
  await verifyPhone(u.userId, '+79123456703')
  await linkTelegram(u.userId, '888003')
  await db.insertInto('policy_decisions').values({ user_id: u.userId, document: 'email-news', version: 1, decision: 'accepted', decided_at: ta.clock.now(), ip: '192.0.2.3' }).execute()
  const a = await signIn(ta, u.email, u.password)
  const page = await a.get(PAGE)
  t.equal(box(page.body, 'mail', 'news'), false, 'off by default, even with the consent')
  t.equal(box(page.body, 'telegram', 'news'), false)
  t.equal(box(page.body, 'sms', 'news'), undefined, 'no SMS consent: no box')
  t.equal((await a.post(PAGE, { mail: ['billing', 'news'], telegram: ['news'], sms: ['news'] })).statusCode, 422, 'an SMS box without its consent is refused')
  t.equal((await a.post(PAGE, { mail: ['billing', 'news'], telegram: ['news'] })).statusCode, 303)
  const r = await sendNotification(app.deps, u.userId, 'news', 'Autumn offers', 'Half price on VPS.')
  t.same(r, { ok: true, userId: u.userId, type: 'news', channels: ['mail', 'telegram'] })
  // Consent withdrawn: nothing more, whatever is stored.
  await db.insertInto('policy_decisions').values({ user_id: u.userId, document: 'email-news', version: 1, decision: 'withdrawn', decided_at: new Date(ta.clock.now().getTime() + 1000), ip: '192.0.2.3' }).execute()
  t.same(await sendNotification(app.deps, u.userId, 'news', 'More offers', 'Again.'), { ok: true, userId: u.userId, type: 'news', channels: [] })
})

t.test('a notification mail carries List-Unsubscribe; the one-click POST works without cookies, twice', async (t) => {
  const u = await createUser(ta, owner.accountId, 'reader@example.com')
  const r = await sendNotification(app.deps, u.userId, 'billing', 'Invoice 42 is ready', 'Pay it by Friday: http://evil.test')
  t.same(r, { ok: true, userId: u.userId, type: 'billing', channels: ['mail'] })
  const mail = await smtp.waitFor(u.email)
  t.equal(mail.subject, 'Invoice 42 is ready')
  t.match(mail.text, /Pay it by Friday: http\[:\]\/\/evil\[\.\]test/, 'the provider\'s text is neutralised')
  const list = header(mail, 'list-unsubscribe')
  t.equal(header(mail, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click')
  const m = list?.match(/^<http:\/\/panel\.test\/unsubscribe\/([^>]+)>$/)
  t.ok(m, `an https/PUBLIC_URL link: ${list}`)
  const url = `${base}unsubscribe/${m![1]!}`
  t.match(mail.text, `\n\nTo stop these notifications by email: http://panel.test/unsubscribe/${m![1]!}`, 'the link at the foot of the text too')
  t.match(String(mail.html), `<a href="http://panel.test/unsubscribe/${m![1]!}">`)

  const page = await app.inject({ method: 'GET', url })
  t.equal(page.statusCode, 200)
  t.match(page.body, /Stop sending “Invoices and payments” notifications by email/)
  t.same(await rowsOf(u.userId), [], 'GET changes nothing')

  const oneClick = async () => await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })
  // Mail providers may call it several times at once: every call answers alike, one change is recorded.
  const burst = await Promise.all(Array.from({ length: 6 }, oneClick))
  t.same(burst.map((x) => x.statusCode), [200, 200, 200, 200, 200, 200])
  const first = burst[0]!
  t.match(first.body, /no longer sent by email/)
  t.same(await rowsOf(u.userId), [{ type: 'billing', channel: 'mail', enabled: false }])
  const again = await Promise.all([oneClick(), oneClick()])
  t.same(again.map((x) => x.statusCode), [200, 200], 'idempotent')
  t.same(await rowsOf(u.userId), [{ type: 'billing', channel: 'mail', enabled: false }])
  // RFC 8058's preferred encoding of the same body.
  const multipart = await app.inject({ method: 'POST', url, headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, payload: '--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n' })
  t.equal(multipart.statusCode, 200, 'multipart/form-data as well')
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'notifications.unsubscribed').where('target_user_id', '=', u.userId).execute()).length, 1, 'one event for one change')

  const next = await sendNotification(app.deps, u.userId, 'billing', 'Invoice 43', 'Another.')
  t.same(next.ok && next.channels, [], 'switched off: not mailed')

  // A token altered in any part: not found, nothing changed.
  const [uid, type, channel, mac] = m![1]!.split('.')
  for (const bad of [`${uid}.support.${channel}.${mac}`, `${owner.userId}.${type}.${channel}.${mac}`, `${uid}.${type}.${channel}.${mac!.slice(0, -2)}AA`, 'nonsense', `${uid}.security.mail.${mac}`]) {
    const res = await app.inject({ method: 'POST', url: `${base}unsubscribe/${bad}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })
    t.equal(res.statusCode, 404, bad)
    t.match(res.body, /not valid/)
  }
  t.same(await rowsOf(owner.userId), [])
})

t.test('notify CLI: only the chosen channels, each its own delivery; unknown type or user exit 1', async (t) => {
  const u = await createUser(ta, owner.accountId, 'cli-notify@example.com')
  await verifyPhone(u.userId, '+79123456702')
  await linkTelegram(u.userId, '777002')
  const a = await signIn(ta, u.email, u.password)
  await a.get(PAGE)
  t.equal((await a.post(PAGE, { mail: ['support'], sms: ['billing'], telegram: ['billing'] })).statusCode, 303)
  const env = { ...process.env, DATA_DIR: ta.config.dataDir, DATABASE_URL: ta.config.databaseUrl ?? '', SESSION_SECRET: 'test-session-secret-of-at-least-32-chars', PUBLIC_URL: 'http://panel.test', LOG_LEVEL: 'silent' }
  const cli = async (...args: string[]) => await runCli(env, args)
  const res = await cli('notify', '--email', u.email, '--type', 'billing', '--subject', 'Invoice 7', '--text', 'Due on Monday.')
  t.equal(res.status, 0, res.stderr)
  t.same(JSON.parse(res.stdout), { userId: u.userId, type: 'billing', channels: ['sms', 'telegram'] })
  const text = await eventually('the SMS', () => sms.received.find((s) => s.to === '+79123456702'))
  t.match(text.text, /Invoice 7[\s\S]*Due on Monday\./)
  const call = await eventually('the sendMessage call', () => bot.calls.find((c) => c.body.chat_id === '777002'))
  t.equal(call.path, `/bot${BOT_TOKEN}/sendMessage`)
  t.match(call.body.text, /Invoice 7[\s\S]*Due on Monday\./)
  const deliveries = await db.selectFrom('deliveries').select(['channel', 'status']).where('user_id', '=', u.userId).orderBy('channel').execute()
  t.same(deliveries.map((d) => d.channel), ['sms', 'telegram'], 'no mail: switched off for billing')

  const unknownType = await cli('notify', '--email', u.email, '--type', 'vps-reboot', '--subject', 'x', '--text', 'y')
  t.equal(unknownType.status, 1)
  t.match(unknownType.stderr, /--type: "vps-reboot" is not a notification type/)
  const unknownUser = await cli('notify', '--email', 'nobody@example.com', '--type', 'billing', '--subject', 'x', '--text', 'y')
  t.equal(unknownUser.status, 1)
  t.match(unknownUser.stderr, /--email: no user has the email nobody@example.com/)
})

t.test('personal data: the export lists the stored choices; erase deletes them', async (t) => {
  const { notifications } = await import('../../src/features/notifications/index.ts')
  const u = await createUser(ta, owner.accountId, 'erase@example.com')
  await db.insertInto('notification_settings').values({ user_id: u.userId, type: 'billing', channel: 'mail', enabled: false, updated_at: new Date() }).execute()
  const section = notifications.personalData!.export![0]!
  t.equal(section.name, 'notification_settings')
  const rows: Array<Record<string, unknown>> = []
  for await (const r of section.query(db, { id: u.userId, accountId: owner.accountId }).stream()) rows.push(r)
  t.match(rows, [{ type: 'billing', channel: 'mail', enabled: false }])
  await notifications.personalData!.erase!(db, { id: u.userId, accountId: owner.accountId, email: u.email, fullName: 'Uma User', phone: null })
  t.same(await rowsOf(u.userId), [])
})

t.test('NOTIFICATIONS_FILE replaces the catalog; a bad one stops the service naming the variable', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-notifications-'))
  const file = path.join(dir, 'notifications.json')
  const types = [
    { key: 'security', label: { en: 'Security', ru: 'Безопасность' }, security: true, marketing: false },
    { key: 'vps-reboot', label: { en: 'VPS reboots', ru: 'Перезагрузки VPS' }, security: false, marketing: false }
  ]
  writeFileSync(file, JSON.stringify({ types }))
  const c = loadConfig({ DATA_DIR: dir, NOTIFICATIONS_FILE: file })
  t.same(c.notificationCatalog.types.map((x) => x.key), ['security', 'vps-reboot'])
  t.ok(loadConfig({ DATA_DIR: dir }).notificationCatalog.byKey.has('low-balance'), 'the default catalog')

  const bad: Array<[string, RegExp]> = [
    ['{not json', /not valid JSON/],
    ['{"types": []}', /non-empty "types" array/],
    [JSON.stringify({ types: [types[1]] }), /must keep the type "security"/],
    [JSON.stringify({ types: [{ ...types[0], security: false }, types[1]] }), /must keep the type "security"/],
    [JSON.stringify({ types: [...types, types[1]] }), /listed twice/],
    [JSON.stringify({ types: [types[0], { ...types[1], key: 'VPS reboot' }] }), /types\[1\]: "key" must be/],
    [JSON.stringify({ types: [types[0], { ...types[1], label: { ru: 'x' } }] }), /needs at least "en"/],
    [JSON.stringify({ types: [types[0], { ...types[1], marketing: 'yes' }] }), /"marketing" must be true or false/]
  ]
  for (const [content, message] of bad) {
    writeFileSync(file, content)
    let caught: unknown
    try { loadConfig({ DATA_DIR: dir, NOTIFICATIONS_FILE: file }) } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, content.slice(0, 30))
    t.equal((caught as ConfigError).variable, 'NOTIFICATIONS_FILE')
    t.match((caught as ConfigError).message, message)
  }

  // The replaced catalog is the matrix.
  writeFileSync(file, JSON.stringify({ types }))
  const other = await startTestApp(t, { env: { NOTIFICATIONS_FILE: file } })
  const o = await createOwner(other, 'custom@example.com')
  const a = await signIn(other, o.email, o.password)
  const page = await a.get(`${other.base}client/settings/notifications`)
  t.match(page.body, /VPS reboots/)
  t.notMatch(page.body, /Invoices and payments/)
  t.equal(box(page.body, 'mail', 'vps-reboot'), true)
})
