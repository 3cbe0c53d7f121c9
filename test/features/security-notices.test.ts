// The product's own security notices (issue 14): two-factor changes by the
// user and by the provider, and a sign-in from a new IP address, mailed
// through notify in the change's transaction, with a real SMTP server.
import type { ParsedMail } from 'mailparser'
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { resetTwoFactor } from '../../src/features/provider/index.ts'
import { describeBrowser } from '../../src/features/sessions/index.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { addresses, TestSmtp } from '../helpers/smtp.ts'
import { eventually } from '../helpers/wait.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const S = `${base}client/settings/two-factor`
const STEP = 30_000
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'

const header = (m: ParsedMail, name: string): string | undefined => m.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '')
const codeAt = (key: string, ms: number): string =>
  new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ms })
/** The clock at the start of a fresh step: the code just used is not the next one. */
const nextStep = (): void => { clock.advance((STEP - (clock.now().getTime() % STEP)) / 1000 + 31) }

/** Every mail the user got, once each of their deliveries has ended (so that "once" is not "not yet twice"). */
async function settledMails (userId: string, email: string): Promise<ParsedMail[]> {
  const pending = async () => await db.selectFrom('deliveries').select(['type', 'status']).where('user_id', '=', userId).where('status', '=', 'queued').execute()
  await eventually('the user\'s deliveries to end', async () => (await pending()).length === 0 ? true : undefined, async () => JSON.stringify(await pending()))
  const sent = await db.selectFrom('deliveries').select('id').where('user_id', '=', userId).where('channel', '=', 'mail').execute()
  await eventually(`${sent.length} mails to ${email}`, () => smtp.messages.filter((m) => addresses(m).includes(email)).length >= sent.length ? true : undefined)
  return smtp.messages.filter((m) => addresses(m).includes(email))
}
const typesOf = async (userId: string): Promise<string[]> => (await db.selectFrom('deliveries').select('type').where('user_id', '=', userId).orderBy('id').execute()).map((r) => r.type)

/** Switches every notification the user can switch off, and writes a forged stored "off" for security too: security notices come anyway. */
async function everythingOff (userId: string): Promise<void> {
  await db.insertInto('notification_settings').values({ user_id: userId, type: 'security', channel: 'mail', enabled: false, updated_at: new Date() }).execute()
}

/** Turns 2FA on through the pages: the key read off the page, the code and the password re-confirmation. */
async function enable (a: Agent, password: string): Promise<string> {
  const key = (await a.get(S)).body.match(/<code id="totp-key">([^<]+)<\/code>/)![1]!.replace(/\s/g, '')
  nextStep()
  const res = await a.postConfirmed(S, { code: codeAt(key, clock.now().getTime()) }, password)
  if (res.statusCode !== 200) throw new Error(`enable answered ${res.statusCode}`)
  nextStep()
  return key
}

t.test('two-factor changes by the user: enabled, new recovery codes, disabled: one notice each, in the user\'s language and zone, with their IP, no unsubscribe even when stored "off"', async (t) => {
  const u = await createUser(ta, owner.accountId, 'tfa-ru@example.com')
  await db.updateTable('users').set({ language: 'ru', time_zone: 'Asia/Vladivostok' }).where('id', '=', u.userId).execute()
  await everythingOff(u.userId)
  const a = await signIn(ta, u.email, u.password)
  a.remoteAddress = '203.0.113.5' // the same session, moved: the notice names where the change came from
  const key = await enable(a, u.password)
  await a.get(S)
  const ask = await a.postPrompted(`${S}/recovery-codes`, {})
  t.equal((await a.confirm(ask, codeAt(key, clock.now().getTime()))).statusCode, 200, 'new recovery codes')
  nextStep()
  await a.get(S)
  t.equal((await a.post(`${S}/disable`, { password: u.password, code: codeAt(key, clock.now().getTime()) })).statusCode, 303, 'disabled')
  t.same(await typesOf(u.userId), ['totp_enabled', 'totp_codes_regenerated', 'totp_disabled'], 'one delivery each, and no new-sign-in notice at the first sign-in')
  const mails = await settledMails(u.userId, u.email)
  t.same(mails.map((m) => m.subject), [
    'Двухфакторная аутентификация включена',
    'Созданы новые резервные коды',
    'Двухфакторная аутентификация выключена'
  ], 'each arrives once, in Russian')
  for (const m of mails) {
    t.match(m.text, 'с IP-адреса 203.0.113.5', `${m.subject}: the IP the user acted from`)
    t.match(m.text, /\d{2}:\d{2} GMT\+10 \(Asia\/Vladivostok\)/, `${m.subject}: the time in the user's zone`)
    t.match(m.text, `Если это были не вы, сразу задайте новый пароль: http://panel.test${base}password/forgot`, `${m.subject}: what to do if it was not them`)
    t.equal(header(m, 'list-unsubscribe'), undefined, `${m.subject}: no List-Unsubscribe`)
    t.notMatch(`${m.text ?? ''}${String(m.html)}`, /unsubscribe/i, `${m.subject}: nor an unsubscribe link`)
  }
  // The matrix offers no switch for these: security is always on.
  await db.updateTable('users').set({ language: 'en' }).where('id', '=', u.userId).execute()
  const matrix = await a.get(`${base}client/settings/notifications`)
  t.match(matrix.body, /id="type-security"[\s\S]*?Always on/)
  t.notMatch(matrix.body, /<input type="checkbox" name="mail" value="security"/)
})

t.test('a sign-in through the second step from a new address: one notice too (every way of signing in ends in completeSignIn)', async (t) => {
  const u = await createUser(ta, owner.accountId, 'tfa-login@example.com')
  const first = await signIn(ta, u.email, u.password)
  const key = await enable(first, u.password)
  const a = new Agent(app, { 'user-agent': FIREFOX })
  a.remoteAddress = '198.51.100.77'
  t.equal((await a.logIn(base, u.email, u.password)).headers.location, `${base}login/two-factor`)
  t.same(await typesOf(u.userId), ['totp_enabled'], 'the first factor alone is no sign-in: no notice yet')
  await a.get(`${base}login/two-factor`)
  t.equal((await a.post(`${base}login/two-factor`, { code: codeAt(key, clock.now().getTime()) })).statusCode, 303)
  t.same(await typesOf(u.userId), ['totp_enabled', 'new_sign_in'])
  const mail = (await settledMails(u.userId, u.email)).find((m) => m.subject === 'New sign-in to Client area')
  t.match(mail?.text, 'from the IP address 198.51.100.77, which you have not signed in from before. Browser: Firefox 140 · Linux.')
})

t.test('the provider\'s reset (user:reset-2fa) mails a notice that names no IP, and only for a user that exists', async (t) => {
  const u = await createUser(ta, owner.accountId, 'tfa-reset@example.com')
  await enable(await signIn(ta, u.email, u.password), u.password)
  await everythingOff(u.userId)
  t.same(await resetTwoFactor(app.deps, u.userId), { ok: true, userId: u.userId })
  t.same(await typesOf(u.userId), ['totp_enabled', 'totp_reset'])
  const mails = await settledMails(u.userId, u.email)
  const reset = mails.filter((m) => m.subject === 'Two-factor authentication was reset')
  t.equal(reset.length, 1, 'once')
  t.match(reset[0]?.text, 'The service provider turned off two-factor authentication for tfa-reset@example.com')
  t.notMatch(reset[0]?.text, 'IP address', 'not the user\'s act: no IP of theirs')
  t.equal(header(reset[0]!, 'list-unsubscribe'), undefined)
  const before = await db.selectFrom('deliveries').select('id').execute()
  t.equal((await resetTwoFactor(app.deps, '999999')).ok, false)
  t.equal((await db.selectFrom('deliveries').select('id').execute()).length, before.length, 'no such user: nothing queued')
})

t.test('new sign-in: nothing at the first or from a known address; one from a new one (a failed try does not make it known), in the user\'s language', async (t) => {
  const u = await createUser(ta, owner.accountId, 'travel@example.com')
  await db.updateTable('users').set({ language: 'ru', time_zone: 'Europe/Moscow' }).where('id', '=', u.userId).execute()
  await everythingOff(u.userId)
  await signIn(ta, u.email, u.password)
  t.same(await typesOf(u.userId), [], 'the first sign-in: no history to compare with, no notice')
  await signIn(ta, u.email, u.password)
  t.same(await typesOf(u.userId), [], 'the same address again: nothing')
  const away = new Agent(app, { 'user-agent': FIREFOX })
  away.remoteAddress = '192.0.2.50'
  t.equal((await away.logIn(base, u.email, 'a wrong passphrase')).statusCode, 422)
  t.same(await typesOf(u.userId), [], 'a failed try sends nothing')
  t.equal((await away.logIn(base, u.email, u.password)).statusCode, 303)
  t.same(await typesOf(u.userId), ['new_sign_in'], 'a failed try did not make the address known: the success is new')
  const again = new Agent(app)
  again.remoteAddress = '192.0.2.50'
  t.equal((await again.logIn(base, u.email, u.password)).statusCode, 303)
  t.same(await typesOf(u.userId), ['new_sign_in'], 'known now (another browser, same address): nothing')
  const mails = await settledMails(u.userId, u.email)
  t.equal(mails.length, 1, 'one mail')
  const m = mails[0]!
  t.equal(m.subject, 'Новый вход в Личный кабинет')
  t.match(m.text, /\d{2}:\d{2} GMT\+3 \(Europe\/Moscow\) с IP-адреса 192\.0\.2\.50, с которого вы раньше не входили\. Браузер: Firefox 140 · Linux\./)
  t.match(m.text, `сразу задайте новый пароль (все остальные сеансы будут завершены): http://panel.test${base}password/forgot`)
  t.equal(header(m, 'list-unsubscribe'), undefined, 'no List-Unsubscribe')
  // The browser is named as the sessions page names it.
  const sessions = await away.get(`${base}client/profile/sessions`)
  t.match(sessions.body, describeBrowser(FIREFOX)!)
})

t.test('parallel sign-ins from the same new address: at most one notice (they queue on the user\'s row)', async (t) => {
  const u = await createUser(ta, owner.accountId, 'parallel@example.com')
  await signIn(ta, u.email, u.password)
  const agents = Array.from({ length: 4 }, () => { const a = new Agent(app); a.remoteAddress = '198.51.100.200'; return a })
  await Promise.all(agents.map(async (a) => { await a.get(`${base}login`) }))
  const answers = await Promise.all(agents.map(async (a) => await a.post(`${base}login`, { email: u.email, password: u.password })))
  t.same(answers.map((r) => r.statusCode), [303, 303, 303, 303], 'all signed in')
  t.same(await typesOf(u.userId), ['new_sign_in'], 'exactly one notice')
  const signIns = await db.selectFrom('login_attempts').select('ip').where('user_id', '=', u.userId).where('success', '=', true).execute()
  t.equal(signIns.length, 5, 'every sign-in is in the history once')
  t.equal((await settledMails(u.userId, u.email)).length, 1)
})
