// Main settings (SPEC §4.1, issue 12), written as attacks where they apply:
// bad input never saves anything, nobody locks themselves out, narrowing
// access is re-confirmed, the IP list and the session binding hold at
// sign-in and on every request (with the real client IP: X-Forwarded-For
// only from a trusted proxy), the form acts only on its own user, and the
// provider can clear a list.
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { runCli } from '../helpers/cli.ts'
import { sealSecret } from '../../src/features/two-factor/otp.ts'
import { Agent, createOwner, createUser, fieldError, flashOf, signIn, startTestApp, type TestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base, config } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const page = `${base}client/settings`

const defaults = { language: 'en', time_zone: 'UTC', rows_per_page: '25', ip_access: 'any', ip_allow_list: '', bind_session_ip: null }
type Form = Record<string, string | string[] | null>
const form = (changes: Form = {}): Form => ({ ...defaults, ...changes })

async function settingsOf (userId: string) {
  return await db.selectFrom('users').select(['language', 'time_zone', 'rows_per_page', 'ip_access', 'ip_allow_list', 'bind_session_ip', 'updated_at'])
    .where('id', '=', userId).executeTakeFirstOrThrow()
}
async function events (type: string, userId?: string) {
  let q = db.selectFrom('audit_log').select(['actor_user_id', 'target_user_id', 'ip', 'details']).where('action', '=', type)
  if (userId !== undefined) q = q.where('target_user_id', '=', userId)
  return await q.orderBy('id').execute()
}
const sessionCount = async (userId: string): Promise<number> =>
  (await db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length

/** A signed-in agent at this client IP. */
async function signInFrom (ip: string, email: string, password: string): Promise<Agent> {
  const a = new Agent(app)
  a.remoteAddress = ip
  const res = await a.logIn(base, email, password)
  if (res.statusCode !== 303) throw new Error(`login of ${email} from ${ip} failed: ${res.statusCode}`)
  await a.get(page)
  return a
}

let made = 0
async function freshUser (ta2: TestApp = ta, accountId = owner.accountId) {
  made++
  return await createUser(ta2, accountId, `main-${made}@example.com`)
}

t.test('the page shows Main settings with the stored values above the other blocks', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const res = await a.get(page)
  t.equal(res.statusCode, 200)
  for (const label of ['Main settings', 'Language', 'Time zone', 'Rows per page', 'Access to control panel', 'From any IP', 'Only from IPs in the list', 'Bind session to IP', 'Two-factor authentication']) {
    t.match(res.body, label, label)
  }
  t.ok(res.body.indexOf('Main settings') < res.body.indexOf('Two-factor authentication'), 'the form comes first')
  t.match(res.body, /<option value="en" lang="en" selected>English<\/option>/)
  t.match(res.body, /<option value="ru" lang="ru">Русский<\/option>/)
  t.match(res.body, /<optgroup label="Europe">[\s\S]*<option value="Europe\/Moscow">\(UTC\+03:00\) Europe\/Moscow<\/option>/, 'zones grouped by region, with their offset')
  t.match(res.body, /<option value="UTC" selected>\(UTC\+00:00\) UTC<\/option>/)
  t.match(res.body, /<option value="25" selected>25<\/option>/)
  t.match(res.body, /id="f-ip_access-any" name="ip_access" value="any" checked/)
  t.match(res.body, 'Your IP address now: 127.0.0.1.')
})

t.test('bad input: 422, the message beside the field, the values kept, nothing saved', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  const before = await settingsOf(u.userId)
  const many = Array.from({ length: 101 }, (_, i) => `10.1.${i}.0/24`).join('\n')
  const cases: Array<[string, Form, string, RegExp, RegExp?]> = [
    ['unknown language', { language: 'de' }, 'language', /Choose a language/],
    ['unknown zone', { time_zone: 'Mars/Olympus_Mons' }, 'time_zone', /Choose a time zone/],
    ['a zone spelled otherwise', { time_zone: 'europe/moscow' }, 'time_zone', /Choose a time zone/],
    ['unknown rows value', { rows_per_page: '20' }, 'rows_per_page', /Choose 10, 25, 50 or 100/],
    ['rows spelt otherwise', { rows_per_page: '1e2' }, 'rows_per_page', /Choose 10, 25, 50 or 100/],
    ['rows with a space', { rows_per_page: ' 50' }, 'rows_per_page', /Choose 10, 25, 50 or 100/],
    ['unknown access', { ip_access: 'none' }, 'ip_access', /Choose From any IP/],
    ['a prefix too long', { ip_access: 'list', ip_allow_list: '127.0.0.1\n10.0.0.0/33' }, 'ip_allow_list', /Line 2: “10\.0\.0\.0\/33” is not an IP address/, /127\.0\.0\.1\n10\.0\.0\.0\/33<\/textarea>/],
    ['three parts', { ip_access: 'list', ip_allow_list: '1.2.3' }, 'ip_allow_list', /Line 1: “1\.2\.3”/],
    ['not hex', { ip_access: 'list', ip_allow_list: '127.0.0.1\r\n::g' }, 'ip_allow_list', /Line 2: “::g”/],
    ['an IPv6 zone', { ip_access: 'list', ip_allow_list: 'fe80::1%eth0' }, 'ip_allow_list', /Line 1/],
    ['markup in an entry', { ip_access: 'list', ip_allow_list: '<b>x</b>' }, 'ip_allow_list', /“&lt;b&gt;x&lt;\/b&gt;”/],
    ['a bad line even with any IP', { ip_access: 'any', ip_allow_list: '10.0.0.0/33' }, 'ip_allow_list', /Line 1/],
    ['an empty list', { ip_access: 'list', ip_allow_list: ' \n\n ' }, 'ip_allow_list', /Add at least one IP address or range/],
    ['more than 100 entries', { ip_access: 'list', ip_allow_list: `127.0.0.1\n${many}` }, 'ip_allow_list', /At most 100 addresses and ranges; this list has 102/],
    ['a repeated field', { language: ['en', 'ru'] }, 'language', /once/],
    ['binding sent twice', { bind_session_ip: ['1', '1'] }, 'bind_session_ip', /once/]
  ]
  for (const [what, changes, name, message, kept] of cases) {
    await a.get(page)
    const res = await a.postRefused(page, form({ time_zone: 'Asia/Tokyo', rows_per_page: '50', ...changes }))
    t.equal(res.statusCode, 422, `${what}: 422`)
    t.notOk(Agent.isPrompt(res), `${what}: the form, not a prompt`)
    t.match(fieldError(res.body, name) ?? '', message, `${what}: the message beside ${name}`)
    t.match(res.body, /aria-invalid="true"/, `${what}: the field is marked`)
    if (name !== 'time_zone') t.match(res.body, /<option value="Asia\/Tokyo" selected>/, `${what}: the zone typed is kept`)
    if (name !== 'rows_per_page') t.match(res.body, /<option value="50" selected>50<\/option>/, `${what}: the rows typed are kept`)
    if (kept !== undefined) t.match(res.body, kept, `${what}: the list typed is kept`)
  }
  t.same(await settingsOf(u.userId), before, 'nothing was saved')
  t.same(await events('settings.saved', u.userId), [], 'nothing was recorded')
})

t.test('nobody locks themselves out: a list without the IP saving it is refused, naming that IP', async (t) => {
  const u = await freshUser()
  const cases: Array<[string, string, string]> = [
    ['IPv4', '203.0.113.5', '198.51.100.0/24\n203.0.113.6'],
    ['IPv6', '2001:db8:0:1::5', '2001:db8:0:2::/64\n2001:db8::5'],
    ['a range that stops short', '203.0.113.20', '203.0.113.0/28']
  ]
  for (const [what, ip, list] of cases) {
    const a = await signInFrom(ip, u.email, u.password)
    const res = await a.postRefused(page, form({ ip_access: 'list', ip_allow_list: list }))
    t.equal(res.statusCode, 422, what)
    t.match(fieldError(res.body, 'ip_allow_list') ?? '', `The list does not include your IP address ${ip}`, `${what}: the message shows the IP`)
    t.equal((await settingsOf(u.userId)).ip_access, 'any', `${what}: nothing saved`)
  }
  // The same lists with the address in them (exactly, or in a range) are accepted.
  const ok: Array<[string, string, string[]]> = [
    ['203.0.113.5', '198.51.100.0/24\n203.0.113.5', ['198.51.100.0/24', '203.0.113.5']],
    ['2001:db8:0:1::5', '2001:DB8:0:1:0:0:0:0/64\n2001:db8:0:1::/64', ['2001:db8:0:1::/64']],
    ['203.0.113.9', '203.0.113.7/28\n\n  203.0.113.0/28  \n203.0.113.9/32', ['203.0.113.0/28', '203.0.113.9']]
  ]
  for (const [ip, list, stored] of ok) {
    await db.updateTable('users').set({ ip_access: 'any', ip_allow_list: [] }).where('id', '=', u.userId).execute()
    const a = await signInFrom(ip, u.email, u.password)
    const res = await a.postConfirmed(page, form({ ip_access: 'list', ip_allow_list: list }), u.password)
    t.equal(res.statusCode, 303, `${ip}: saved`)
    const row = await settingsOf(u.userId)
    t.equal(row.ip_access, 'list')
    t.same(row.ip_allow_list, stored, `${ip}: normalised, blank lines and duplicates dropped`)
  }
})

t.test('narrowing access is re-confirmed (the prompt answered explicitly); widening it is not', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  // Turning the list on: the prompt, which carries the form and saves nothing yet.
  const prompt = await a.postPrompted(page, form({ ip_access: 'list', ip_allow_list: '127.0.0.1' }))
  t.match(prompt.body, 'To restrict access to the control panel, enter your password.')
  t.equal((await settingsOf(u.userId)).ip_access, 'any', 'nothing saved before the proof')
  const wrong = await a.confirm(prompt, 'not the password at all')
  t.equal(wrong.statusCode, 422, 'a wrong password')
  t.ok(Agent.isPrompt(wrong))
  t.equal((await settingsOf(u.userId)).ip_access, 'any', 'nothing saved after a wrong proof')
  const done = await a.confirm(wrong, u.password)
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, page)
  t.match((await settingsOf(u.userId)), { ip_access: 'list', ip_allow_list: ['127.0.0.1'] })

  // A fresh session (no live confirmation) for each of the others.
  const b = await signIn(ta, u.email, u.password)
  await b.postPrompted(page, form({ ip_access: 'list', ip_allow_list: '127.0.0.1\n10.0.0.0/8' }))
  t.same((await settingsOf(u.userId)).ip_allow_list, ['127.0.0.1'], 'changing the list while on is prompted')
  await b.postPrompted(page, form({ ip_access: 'list', ip_allow_list: '127.0.0.1', bind_session_ip: '1' }))
  t.equal((await settingsOf(u.userId)).bind_session_ip, false, 'turning binding on is prompted')
  const lang = await b.postUnprompted(page, form({ ip_access: 'list', ip_allow_list: '127.0.0.1', time_zone: 'Europe/Berlin' }))
  t.equal(lang.statusCode, 303, 'the same list, another zone: no prompt')
  const off = await b.postUnprompted(page, form({ ip_access: 'any', ip_allow_list: '127.0.0.1', time_zone: 'Europe/Berlin' }))
  t.equal(off.statusCode, 303, 'turning the list off widens: no prompt')
  t.equal((await settingsOf(u.userId)).ip_access, 'any')
  await db.updateTable('users').set({ bind_session_ip: true }).where('id', '=', u.userId).execute()
  const unbind = await b.postUnprompted(page, form({ ip_allow_list: '127.0.0.1', time_zone: 'Europe/Berlin' }))
  t.equal(unbind.statusCode, 303, 'turning binding off: no prompt')
  t.equal((await settingsOf(u.userId)).bind_session_ip, false)

  const saved = await events('settings.saved', u.userId)
  t.same(saved.map((e) => (e.details as { changed: string }).changed), ['ip_access ip_allow_list', 'time_zone', 'ip_access', 'bind_session_ip'], 'the names of what changed, in order')
  t.notMatch(JSON.stringify(saved.map((e) => e.details)), /127\.0\.0\.1|Berlin/, 'never the values')
})

t.test('with 2FA the prompt asks for a One-time password', async (t) => {
  const u = await freshUser()
  const secret = new OTPAuth.Secret({ size: 20 })
  const a = await signIn(ta, u.email, u.password)
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: sealSecret(app.deps, secret.base32) }).where('id', '=', u.userId).execute()
  const prompt = await a.postPrompted(page, form({ bind_session_ip: '1' }))
  t.match(prompt.body, 'enter a One-time password')
  const code = new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret }).generate({ timestamp: ta.clock.now().getTime() })
  t.equal((await a.confirm(prompt, code)).statusCode, 303)
  t.equal((await settingsOf(u.userId)).bind_session_ip, true)
})

t.test('sign-in from outside the list: the answer of a wrong password, counted, audited', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/8', '2001:db8::/32'] }).where('id', '=', u.userId).execute()
  const strip = (html: string): string => html.replace(/name="_csrf" value="[^"]+"/g, '')
  const attacker = new Agent(app)
  attacker.remoteAddress = '192.0.2.66'
  const wrongPassword = await attacker.logIn(base, u.email, 'not the password at all')
  const rightPassword = await attacker.logIn(base, u.email, u.password)
  t.equal(rightPassword.statusCode, wrongPassword.statusCode, 'the same status')
  t.equal(rightPassword.statusCode, 422)
  t.equal(strip(rightPassword.body), strip(wrongPassword.body), 'the same page')
  t.equal(rightPassword.headers['set-cookie'] === undefined, wrongPassword.headers['set-cookie'] === undefined, 'the same cookies')
  t.equal(await sessionCount(u.userId), 0, 'no session')
  const attempts = await db.selectFrom('login_attempts').select(['ip', 'success']).where('user_id', '=', u.userId).execute()
  t.same(attempts, [{ ip: '192.0.2.66', success: false }, { ip: '192.0.2.66', success: false }], 'both in the sign-in history as failures')
  const counter = await db.selectFrom('limit_counters').select('failures').where('kind', '=', 'login.email').where('key', '=', u.email).executeTakeFirstOrThrow()
  t.equal(counter.failures, 2, 'counted as failed attempts, like a wrong password')
  const refused = await events('login.ip_refused')
  t.same(refused.map((e) => [e.actor_user_id, e.ip]), [[u.userId, '192.0.2.66'], [u.userId, '192.0.2.66']], 'audited with the IP')

  for (const ip of ['10.20.30.40', '2001:db8::1', '::ffff:10.0.0.1']) {
    const inside = new Agent(app)
    inside.remoteAddress = ip
    ta.clock.advance(120) // past the back-off of the failures above
    t.equal((await inside.logIn(base, u.email, u.password)).statusCode, 303, `${ip}: inside the list`)
  }
})

t.test('sign-ins raced from outside the list: every one refused, none signs in, each counted', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/8'] }).where('id', '=', u.userId).execute()
  const RACE = 8
  const answers = await Promise.all(Array.from({ length: RACE }, async (_, i) => {
    const attacker = new Agent(app)
    attacker.remoteAddress = `192.0.2.${100 + i}`
    return (await attacker.logIn(base, u.email, u.password)).statusCode
  }))
  t.same(answers, Array(RACE).fill(422), 'every raced sign-in answered like a wrong password')
  t.equal(await sessionCount(u.userId), 0, 'no session')
  const attempts = await db.selectFrom('login_attempts').select('success').where('user_id', '=', u.userId).execute()
  t.same(attempts.map((a) => a.success), Array(RACE).fill(false), 'each in the sign-in history as a failure')
  t.same((await events('login.success')).filter((e) => e.actor_user_id === u.userId), [], 'no sign-in audited')
})

t.test('the second step is refused from outside the list too', async (t) => {
  const u = await freshUser()
  const secret = new OTPAuth.Secret({ size: 20 })
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: sealSecret(app.deps, secret.base32), ip_access: 'list', ip_allow_list: ['10.0.0.0/8'] }).where('id', '=', u.userId).execute()
  const a = new Agent(app)
  a.remoteAddress = '10.0.0.7'
  const first = await a.logIn(base, u.email, u.password)
  t.equal(first.headers.location, `${base}login/two-factor`, 'the password from inside: the second step')
  await a.get(`${base}login/two-factor`)
  a.remoteAddress = '192.0.2.77'
  const code = new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret }).generate({ timestamp: ta.clock.now().getTime() })
  const res = await a.post(`${base}login/two-factor`, { code })
  t.equal(res.statusCode, 422, 'the login page again')
  t.match(res.body, 'name="password"')
  t.equal(await sessionCount(u.userId), 0, 'not signed in')
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'nothing behind the login')
  t.equal((await a.get(`${base}login/two-factor`)).headers.location, `${base}login`, 'the second step is gone')
  t.same((await events('login.ip_refused')).filter((e) => e.actor_user_id === u.userId).map((e) => e.ip), ['192.0.2.77'])
})

t.test('an open session used from outside the list ends: audited, answered as an ended session', async (t) => {
  for (const [what, inside, list, outside] of [
    ['IPv4', '10.0.0.7', ['10.0.0.0/24'], '10.0.1.7'],
    ['IPv6', '2001:db8::7', ['2001:db8::/64'], '2001:db8:1::7'],
    ['a single address', '198.51.100.4', ['198.51.100.4'], '198.51.100.5']
  ] as const) {
    const u = await freshUser()
    const a = await signInFrom(inside, u.email, u.password)
    await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: [...list] }).where('id', '=', u.userId).execute()
    t.equal((await a.get(`${base}client/profile`)).statusCode, 200, `${what}: inside the list, it works`)
    a.remoteAddress = outside
    const res = await a.get(`${base}client/profile`)
    t.equal(res.statusCode, 303, `${what}: outside`)
    t.equal(res.headers.location, `${base}login?return_to=${encodeURIComponent(`${base}client/profile`)}&ended=1`, `${what}: to the login page, saying the session ended`)
    t.equal(await sessionCount(u.userId), 0, `${what}: the session row is gone`)
    a.remoteAddress = inside
    t.equal((await a.get(`${base}client/profile`)).statusCode, 303, `${what}: and it does not come back from inside`)
    t.same((await events('session.ended_by_ip_list', u.userId)).map((e) => [e.actor_user_id, e.ip]), [[u.userId, outside]], `${what}: audited with the IP`)
  }
  // A POST from outside changes nothing either.
  const u = await freshUser()
  const a = await signInFrom('10.0.0.8', u.email, u.password)
  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/24'] }).where('id', '=', u.userId).execute()
  a.remoteAddress = '192.0.2.1'
  const res = await a.postUnprompted(page, form({ language: 'ru', ip_access: 'list', ip_allow_list: '10.0.0.0/24' }))
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}login?ended=1`)
  t.equal((await settingsOf(u.userId)).language, 'en', 'nothing saved')
})

t.test('a spoofed X-Forwarded-For from an untrusted peer changes nothing', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/8'] }).where('id', '=', u.userId).execute()
  const spoof = new Agent(app, { 'x-forwarded-for': '10.1.2.3' })
  spoof.remoteAddress = '192.0.2.9'
  t.equal((await spoof.logIn(base, u.email, u.password)).statusCode, 422, 'the socket\'s address is the one checked')
  t.same((await events('login.ip_refused')).filter((e) => e.actor_user_id === u.userId).map((e) => e.ip), ['192.0.2.9'])
  // Signed in from inside, then the header tries to keep a moved session alive.
  const a = new Agent(app, { 'x-forwarded-for': '10.1.2.3' })
  a.remoteAddress = '10.9.9.9'
  t.equal((await a.logIn(base, u.email, u.password)).statusCode, 303)
  a.remoteAddress = '192.0.2.10'
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'the header does not keep it')
})

t.test('with TRUST_PROXY=127.0.0.1 the address in X-Forwarded-For is the one checked', async (t) => {
  const proxied = await startTestApp(t, { env: { TRUST_PROXY: '127.0.0.1' } })
  const o = await createOwner(proxied, 'proxied@example.com')
  await proxied.app.deps.db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/8'] }).where('id', '=', o.userId).execute()
  const via = (xff: string): Agent => new Agent(proxied.app, { 'x-forwarded-for': xff })
  t.equal((await via('192.0.2.5').logIn(proxied.base, o.email, o.password)).statusCode, 422, 'a client outside the list, behind the proxy')
  const a = via('10.3.3.3')
  t.equal((await a.logIn(proxied.base, o.email, o.password)).statusCode, 303, 'a client inside the list, behind the proxy')
  const row = await proxied.app.deps.db.selectFrom('audit_log').select('ip').where('action', '=', 'login.ip_refused').executeTakeFirstOrThrow()
  t.equal(row.ip, '192.0.2.5', 'audited with the client\'s address, not the proxy\'s')
  // The same session, now forwarded for an address outside the list.
  const moved = new Agent(proxied.app, { 'x-forwarded-for': '192.0.2.6' })
  for (const [k, v] of a.cookies) moved.cookies.set(k, v)
  t.equal((await moved.get(`${proxied.base}client/profile`)).statusCode, 303, 'ended')
  // A peer that is not the proxy cannot use the header.
  const direct = via('10.3.3.4')
  direct.remoteAddress = '192.0.2.50'
  t.equal((await direct.logIn(proxied.base, o.email, o.password)).statusCode, 422, 'only the trusted peer\'s header counts')
})

t.test('binding: a session moved to another IP ends; one on its own IP is left alone', async (t) => {
  const u = await freshUser()
  const home = await signInFrom('10.0.0.1', u.email, u.password)
  const office = await signInFrom('10.0.0.2', u.email, u.password)
  const done = await home.postConfirmed(page, form({ bind_session_ip: '1' }), u.password)
  t.equal(done.statusCode, 303)
  t.equal((await home.get(page)).statusCode, 200, 'the session that turned it on goes on')
  t.equal((await office.get(`${base}client/profile`)).statusCode, 200, 'another session on its own IP goes on')
  office.remoteAddress = '10.0.0.3'
  const moved = await office.get(`${base}client/profile`)
  t.equal(moved.statusCode, 303, 'moved: ended')
  t.match(moved.headers.location, /ended=1$/)
  t.equal(await sessionCount(u.userId), 1, 'only its row is gone')
  t.equal((await home.get(`${base}client/profile`)).statusCode, 200, 'the other one still works')
  const ended = await events('session.ended_by_binding', u.userId)
  t.same(ended.map((e) => [e.ip, (e.details as { sessionIp: string }).sessionIp]), [['10.0.0.3', '10.0.0.2']], 'audited with both addresses')
  // The same address spelt as IPv4-mapped IPv6 (a dual-stack socket) is the same client.
  home.remoteAddress = '::ffff:10.0.0.1'
  t.equal((await home.get(`${base}client/profile`)).statusCode, 200)
})

t.test('binding turned on from another IP than the session started at binds it to the new one', async (t) => {
  const u = await freshUser()
  const a = await signInFrom('10.0.0.1', u.email, u.password)
  a.remoteAddress = '10.0.0.9' // a mobile address changed
  t.equal((await a.postConfirmed(page, form({ bind_session_ip: '1' }), u.password)).statusCode, 303)
  t.equal((await a.get(page)).statusCode, 200, 'not ended by its own save')
  a.remoteAddress = '10.0.0.1'
  t.equal((await a.get(page)).statusCode, 303, 'bound to where it was saved from')
})

t.test('CSRF: the form acts only on its own user; a missing or foreign token is refused', async (t) => {
  const victim = await freshUser()
  const other = await createOwner(ta, 'attacker@example.com')
  const attacker = await signIn(ta, other.email, other.password)
  const victimAgent = await signIn(ta, victim.email, victim.password)
  const before = await settingsOf(victim.userId)
  // The attacker's own valid token, naming the victim in every way a form could.
  const res = await attacker.postUnprompted(page, form({ language: 'ru', user_id: victim.userId, id: victim.userId, userId: victim.userId, email: victim.email }))
  t.equal(res.statusCode, 303)
  t.equal((await settingsOf(other.userId)).language, 'ru', 'only the attacker\'s own settings changed')
  t.same(await settingsOf(victim.userId), before, 'the victim\'s are untouched')
  // The victim's browser posting a form the attacker made: the attacker's token does not pass.
  const forged = await victimAgent.postRefused(page, form({ language: 'ru', _csrf: attacker.lastCsrf! }))
  t.equal(forged.statusCode, 403, 'a foreign token')
  const missing = await victimAgent.postRefused(page, form({ language: 'ru', _csrf: null }))
  t.equal(missing.statusCode, 403, 'no token')
  const narrowing = await victimAgent.postRefused(page, form({ ip_access: 'list', ip_allow_list: '192.0.2.1', _csrf: attacker.lastCsrf! }))
  t.equal(narrowing.statusCode, 403, 'no prompt either')
  t.same(await settingsOf(victim.userId), before, 'nothing changed')
})

t.test('saving switches the language at once and says so', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  const res = await a.postUnprompted(page, form({ language: 'ru', time_zone: 'Europe/Moscow', rows_per_page: '10' }))
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, page)
  const next = await a.get(page)
  t.match(next.body, '<html lang="ru">')
  t.equal(flashOf(next.body), 'Настройки сохранены.')
  t.match(next.body, 'Основные настройки')
  t.match(next.body, /<option value="Europe\/Moscow" selected>/)
  t.match(await settingsOf(u.userId), { language: 'ru', time_zone: 'Europe/Moscow', rows_per_page: 10 })
  const saved = await events('settings.saved', u.userId)
  t.same(saved.map((e) => [e.ip, (e.details as { changed: string }).changed]), [['127.0.0.1', 'language time_zone rows_per_page']])
  const again = await a.postUnprompted(page, form({ language: 'ru', time_zone: 'Europe/Moscow', rows_per_page: '10' }))
  t.equal(again.statusCode, 303, 'saving the same values')
  t.equal((await events('settings.saved', u.userId)).length, 1, 'records nothing')
})

t.test('Rows per page is what the users list shows', async (t) => {
  const list = await createOwner(ta, 'many@example.com')
  for (let i = 0; i < 11; i++) await createUser(ta, list.accountId, `many-${i}@example.com`)
  const a = await signIn(ta, list.email, list.password)
  const rows = async (): Promise<number> => ((await a.get(`${base}client/users`)).body.match(/<tr/g) ?? []).length - 1
  t.equal(await rows(), 12, '25 a page: all 12')
  await a.get(page)
  await a.postUnprompted(page, form({ rows_per_page: '10' }))
  t.equal(await rows(), 10, '10 a page')
  t.match((await a.get(`${base}client/users`)).body, /\?after=/, 'and a next page')
})

t.test('provider CLI user:clear-ip-list: access from any IP again, audited as the provider', async (t) => {
  const env = { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '' }
  const cli = async (...args: string[]) => {
    const res = await runCli(env, args)
    return { ...res, code: res.status ?? -1 }
  }
  const u = await freshUser()
  const locked = { ip_access: 'list' as const, ip_allow_list: ['192.0.2.0/24'] }
  await db.updateTable('users').set(locked).where('id', '=', u.userId).execute()
  t.equal((await new Agent(app).logIn(base, u.email, u.password)).statusCode, 422, 'locked out')
  const byEmail = await cli('user:clear-ip-list', '--email', u.email.toUpperCase())
  t.equal(byEmail.code, 0, byEmail.stderr)
  t.same(JSON.parse(byEmail.stdout), { userId: u.userId, ipAccess: 'any', ipAllowList: [] })
  t.match(await settingsOf(u.userId), { ip_access: 'any', ip_allow_list: [] })
  ta.clock.advance(120)
  t.equal((await new Agent(app).logIn(base, u.email, u.password)).statusCode, 303, 'signs in again')
  await db.updateTable('users').set(locked).where('id', '=', u.userId).execute()
  const byId = await cli('user:clear-ip-list', '--id', u.userId)
  t.equal(byId.code, 0, byId.stderr)
  t.equal((await settingsOf(u.userId)).ip_access, 'any')
  const cleared = await events('ip_list.cleared_by_provider', u.userId)
  t.same(cleared.map((e) => [e.actor_user_id, e.ip]), [[null, null], [null, null]], 'done by the provider, twice')
  const unknown = await cli('user:clear-ip-list', '--email', 'nobody@example.com')
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, '--email: no user has the email nobody@example.com')
  const both = await cli('user:clear-ip-list', '--email', u.email, '--id', u.userId)
  t.equal(both.code, 2)
})

t.test('a new session id (a privilege change) does not rebind a bound session to the IP that asks for it', async (t) => {
  const u = await freshUser()
  const a = await signInFrom('10.0.0.1', u.email, u.password)
  await db.updateTable('users').set({ bind_session_ip: true }).where('id', '=', u.userId).execute()
  await db.updateTable('sessions').set({ rotate: true }).where('user_id', '=', u.userId).execute()
  a.remoteAddress = '10.0.0.2'
  const res = await a.get(`${base}client/profile`)
  t.equal(res.statusCode, 303, 'ended, not given a new id bound to the new IP')
  t.match(res.headers.location, /ended=1$/)
  t.same(await db.selectFrom('sessions').select('ip').where('user_id', '=', u.userId).where('ends_at', 'is', null).execute(), [], 'no live session left')
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'the retired id ends too')
  a.remoteAddress = '10.0.0.1'
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'and stays ended')
})

t.test('a JSON route answers an ended session with a 401', async (t) => {
  const other = await startTestApp(t, {
    build: { browserRoutes: async (app) => { app.get('/test-only/whoami', { config: { access: 'user', kind: 'api' } }, async (request) => ({ id: request.user?.id })) } }
  })
  const o = await createOwner(other, 'json@example.com')
  const a = new Agent(other.app)
  a.remoteAddress = '10.0.0.1'
  t.equal((await a.logIn(other.base, o.email, o.password)).statusCode, 303)
  await other.app.deps.db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/24'] }).where('id', '=', o.userId).execute()
  t.equal((await a.get(`${other.base}test-only/whoami`)).statusCode, 200, 'inside the list')
  a.remoteAddress = '10.0.9.1'
  const res = await a.get(`${other.base}test-only/whoami`)
  t.equal(res.statusCode, 401)
  t.same(res.json(), { error: { code: 'unauthorized', message: res.json().error.message } })
  t.equal((await other.app.deps.db.selectFrom('audit_log').select('ip').where('action', '=', 'session.ended_by_ip_list').executeTakeFirstOrThrow()).ip, '10.0.9.1')
})

t.test('a stored zone the runtime lists under another name stays as it is', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ time_zone: 'Etc/GMT-3' }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password)
  const res = await a.get(page)
  t.match(res.body, /<option value="Etc\/GMT-3" selected>\(UTC\+03:00\) Etc\/GMT-3<\/option>/, 'offered and selected')
  t.equal((await a.postUnprompted(page, form({ time_zone: 'Etc/GMT-3', language: 'ru' }))).statusCode, 303, 'saving the form unchanged works')
  t.match(await settingsOf(u.userId), { time_zone: 'Etc/GMT-3', language: 'ru' })
  // Posted at once, the saved message still unread: the form again all the same, not a 500.
  const other = await a.postRefused(page, form({ time_zone: 'Etc/GMT-4' }))
  t.equal(other.statusCode, 422, 'another unlisted name is still refused')
})
