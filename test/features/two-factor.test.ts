import type { ParsedMail } from 'mailparser'
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { verifySecondFactor } from '../../src/features/two-factor/otp.ts'
import { Agent, createOwner, createUser, fieldError, flashOf, signIn, startTestApp, type TestApp } from '../helpers/app.ts'
import { addresses, TestSmtp } from '../helpers/smtp.ts'
import { eventually } from '../helpers/wait.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const S = `${base}client/settings/two-factor`
const STEP = 30_000

function codeAt (key: string, ms: number): string {
  return new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ms })
}

/** Moves the clock to the start of the next step, so that ±1 steps are unambiguous. */
function alignClock (c: TestApp['clock']): void {
  c.advance((STEP - (c.now().getTime() % STEP)) / 1000 + 31)
}

/** Enables 2FA for the agent's user (re-confirmed with the password) by reading the key off the page; returns the key and the recovery codes. */
async function enable (a: Agent, password: string): Promise<{ key: string, codes: string[] }> {
  const page = await a.get(S)
  const key = page.body.match(/<code id="totp-key">([^<]+)<\/code>/)![1]!.replace(/\s/g, '')
  alignClock(clock)
  const res = await a.postConfirmed(S, { code: codeAt(key, clock.now().getTime()) }, password)
  if (res.statusCode !== 200) throw new Error(`enable answered ${res.statusCode}`)
  const codes = [...res.body.matchAll(/name="code" value="([A-Z2-7]{16})"/g)].map((m) => m[1]!)
  clock.advance(30) // the enabling code's step is used
  return { key, codes }
}

async function twoFactorUser (email: string) {
  const u = await createUser(ta, owner.accountId, email, 'a long enough passphrase')
  const a = await signIn(ta, u.email, u.password)
  const { key, codes } = await enable(a, u.password)
  return { ...u, key, codes, a }
}

async function passwordStep (email: string, password = 'a long enough passphrase'): Promise<Agent> {
  const a = new Agent(app)
  const res = await a.logIn(base, email, password)
  if (res.headers.location !== `${base}login/two-factor`) throw new Error(`no second step: ${res.statusCode} ${String(res.headers.location)}`)
  await a.get(`${base}login/two-factor`)
  return a
}

/** A mail to the address whose subject starts so (the user's first mail is the notice that 2FA was turned on). */
async function mailWithSubject (email: string, subject: string): Promise<ParsedMail> {
  return await eventually(`a mail "${subject}" to ${email}`, () => smtp.messages.find((m) => addresses(m).includes(email) && (m.subject ?? '').startsWith(subject)),
    () => JSON.stringify(smtp.messages.map((m) => m.subject)))
}

/** The user's wrong-code streak counter (lib/limits.ts). */
const streakOf = async (id: string) => {
  const row = await db.selectFrom('limit_counters').select(['failures', 'locked_until']).where('kind', '=', 'otp.streak').where('key', '=', id).executeTakeFirst()
  return { otp_fail_streak: row?.failures ?? 0, otp_locked_until: row?.locked_until ?? null }
}
const dailyOf = async (id: string) => (await db.selectFrom('limit_counters').select(['count', 'failures']).where('kind', '=', 'otp.day').where('key', '=', id).executeTakeFirst())

t.test('enable: QR code rendered on the server, key and account name as text, then 10 recovery codes shown once', async (t) => {
  const u = await createUser(ta, owner.accountId, 'enable@example.com')
  const a = await signIn(ta, u.email, u.password)
  const page = await a.get(S)
  t.equal(page.statusCode, 200)
  t.match(page.body, /<div class="qr"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  t.match(page.body, 'Client area: enable@example.com')
  t.notMatch(page.body, '<script')
  const key = page.body.match(/<code id="totp-key">([^<]+)<\/code>/)![1]!.replace(/\s/g, '')
  t.match(key, /^[A-Z2-7]{32}$/, '20 random bytes')
  t.match(page.body, /<path stroke="#000000" d="M4 4\.5h/, 'the QR code has the 4-module quiet zone the standard asks for')
  const uri = page.body.match(/<a href="(otpauth:\/\/totp\/[^"]+)">/)?.[1]?.replaceAll('&amp;', '&')
  t.equal(uri === undefined ? undefined : new URL(uri).searchParams.get('secret'), key, 'an otpauth:// link with the same key opens the authenticator on this phone')
  t.match(page.body, '<a href="/client/settings">Back to User settings</a>')
  for (const bad of ['', '12345', '1234567', 'abcdef']) {
    // The code is checked against the key before the password is asked for: postInvalid fails when the prompt comes instead.
    const res = await a.postInvalid(S, { code: bad })
    t.equal(res.statusCode, 422, `"${bad}"`)
    t.equal(fieldError(res.body, 'code'), 'Enter the 6-digit One-time password from the app.')
  }
  alignClock(clock)
  const wrong = await a.postInvalid(S, { code: codeAt(key, clock.now().getTime() + 2 * STEP) })
  t.equal(wrong.statusCode, 422, 'a code from the next-but-one step')
  t.equal(fieldError(wrong.body, 'code'), 'Wrong code. Check the app and try again.')
  t.equal((await db.selectFrom('users').select('two_factor_enabled').where('id', '=', u.userId).executeTakeFirstOrThrow()).two_factor_enabled, false)
  const res = await a.postConfirmed(S, { code: codeAt(key, clock.now().getTime()) }, u.password)
  t.equal(res.statusCode, 200)
  t.match(res.body, 'for the next 5 minutes this operation will not ask for it again', 'the codes page says the confirmation holds')
  t.equal(res.headers['cache-control'], 'no-store')
  const codes = [...res.body.matchAll(/name="code" value="([A-Z2-7]{16})"/g)].map((m) => m[1]!)
  t.equal(codes.length, 10)
  const row = await db.selectFrom('users').select(['two_factor_enabled', 'totp_secret']).where('id', '=', u.userId).executeTakeFirstOrThrow()
  t.equal(row.two_factor_enabled, true)
  t.notMatch(row.totp_secret!, key, 'the secret is not stored in clear')
  const stored = await db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', u.userId).execute()
  t.equal(stored.length, 10)
  t.notOk(stored.some((r) => codes.includes(r.code_hash)), 'recovery codes are stored hashed')
  const file = await a.post(`${S}/recovery-codes.txt`, { code: codes })
  t.equal(file.statusCode, 200)
  t.match(file.headers['content-disposition'], 'attachment; filename="recovery-codes.txt"')
  t.match(file.body, codes[0]!.replace(/(.{4})(?=.)/g, '$1 '))
  t.equal((await a.post(`${S}/recovery-codes.txt`, { code: 'AAAAAAAAAAAAAAAA' })).statusCode, 404, 'only the user\'s own codes')
  t.notMatch((await a.get(S)).body, codes[0]!, 'never shown again')
  const list = await signIn(ta, owner.email, owner.password)
  t.match((await list.get(`${base}client/users`)).body, /enable@example.com<\/td>\s*<td[^>]*>(?:<span class="with-avatar">[\s\S]*?)?Uma User(?:<\/span>)?<\/td>\s*<td[^>]*><span class="status status-ok">Active<\/span><\/td>\s*<td[^>]*>On<\/td>/)
})

t.test('sign-in: a second step; nothing is reachable in between; the id changes after it', async (t) => {
  const u = await twoFactorUser('login@example.com')
  const a = await passwordStep(u.email)
  const between = a.cookies.get('sid')
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'the profile is not reachable between the steps')
  t.equal((await a.get(`${base}client/users`)).statusCode, 303)
  t.equal((await a.get(`${base}client/settings`)).statusCode, 303)
  await a.get(`${base}login/two-factor`)
  const res = await a.post(`${base}login/two-factor`, { code: codeAt(u.key, clock.now().getTime()) })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}client/profile`)
  t.not(a.cookies.get('sid'), between, 'a new session id after the second step')
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200)
  const attempts = await db.selectFrom('login_attempts').select('success').where('user_id', '=', u.userId).execute()
  t.ok(attempts.some((r) => r.success), 'the sign-in is recorded')
  t.equal((await new Agent(app).get(`${base}login/two-factor`)).statusCode, 303, 'no second step without the first')
})

t.test('window edges: ±1 step accepted once each, ±2 refused, replay refused and mailed', async (t) => {
  const u = await twoFactorUser('window@example.com')
  clock.advance(90) // well past the step that enabled 2FA
  const now = () => clock.now().getTime()
  const opts = { allowRecovery: false, ip: '127.0.0.1' }
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now() - 2 * STEP), opts), { ok: false, reason: 'wrong' }, '-2 refused')
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now() + 2 * STEP), opts), { ok: false, reason: 'wrong' }, '+2 refused')
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now() - STEP), opts), { ok: true, method: 'totp' }, '-1 accepted')
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now() - STEP), opts), { ok: false, reason: 'replay' }, 'and only once')
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now()), opts), { ok: true, method: 'totp' }, 'the current step')
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now() + STEP), opts), { ok: true, method: 'totp' }, '+1 accepted')
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, now()), opts), { ok: false, reason: 'replay' }, 'an older step after a newer one is a replay')
  const audit = await db.selectFrom('audit_log').select('action').where('actor_user_id', '=', u.userId).where('action', '=', 'totp.replay').execute()
  t.equal(audit.length, 2)
  t.ok(await mailWithSubject(u.email, 'A used one-time password was tried'))
})

t.test('replay across the login step and a confirmation', async (t) => {
  const u = await twoFactorUser('across@example.com')
  const a = await passwordStep(u.email)
  const code = codeAt(u.key, clock.now().getTime())
  t.equal((await a.post(`${base}login/two-factor`, { code })).statusCode, 303)
  await a.get(`${base}client/profile`)
  const prompt = await a.postPrompted(`${base}client/profile/phone`, { phone: '+79123450009' })
  t.ok(Agent.isPrompt(prompt), 'the phone change asks for a confirmation')
  const res = await a.confirm(prompt, code)
  t.equal(res.statusCode, 422)
  t.equal(fieldError(res.body, 'proof'), 'This code has already been used. Wait for the next one.')
  t.equal((await db.selectFrom('users').select('phone').where('email', '=', u.email).executeTakeFirstOrThrow()).phone, null, 'nothing changed')
})

t.test('two parallel requests with one valid code: exactly one wins', async (t) => {
  const u = await twoFactorUser('parallel@example.com')
  const code = codeAt(u.key, clock.now().getTime())
  const results = await Promise.all([1, 2, 3].map(() => verifySecondFactor(app.deps, u.userId, code, { allowRecovery: false, ip: '127.0.0.1' })))
  t.equal(results.filter((r) => r.ok).length, 1)
  t.same(results.filter((r) => !r.ok), [{ ok: false, reason: 'replay' }, { ok: false, reason: 'replay' }], 'the others are answered as already used')
  t.equal((await streakOf(u.userId)).otp_fail_streak, 0, 'not counted towards a lock')
  t.equal((await dailyOf(u.userId))?.count, 0, 'nor towards the daily cap')
  clock.advance(30)
  const b = await passwordStep(u.email)
  const c = await passwordStep(u.email)
  const code2 = codeAt(u.key, clock.now().getTime())
  const posts = await Promise.all([b.post(`${base}login/two-factor`, { code: code2 }), c.post(`${base}login/two-factor`, { code: code2 })])
  t.same(posts.map((p) => p.statusCode).sort(), [303, 422])
})

t.test('lockout: 5 wrong codes lock for 15 minutes, doubling; a right code is refused while locked', async (t) => {
  const u = await twoFactorUser('lock@example.com')
  const a = await passwordStep(u.email)
  const wrong = () => codeAt(u.key, clock.now().getTime() + 5 * STEP)
  for (let i = 0; i < 5; i++) t.equal((await a.post(`${base}login/two-factor`, { code: wrong() })).statusCode, 422)
  t.ok((await streakOf(u.userId)).otp_locked_until !== null, 'locked')
  const locked = await a.post(`${base}login/two-factor`, { code: codeAt(u.key, clock.now().getTime()) })
  t.equal(locked.statusCode, 422)
  t.equal(fieldError(locked.body, 'code'), 'Too many wrong codes: two-factor checks are locked for a while. Try again later.')
  t.ok(await mailWithSubject(u.email, 'Too many wrong one-time passwords'))
  clock.advance(15 * 60 + 1)
  const again = await passwordStep(u.email)
  t.equal((await again.post(`${base}login/two-factor`, { code: codeAt(u.key, clock.now().getTime()) })).statusCode, 303, 'the lock ends')
  // Second lock in a day: 30 minutes.
  const b = await passwordStep(u.email)
  for (let i = 0; i < 5; i++) await b.post(`${base}login/two-factor`, { code: wrong() })
  const until = new Date((await streakOf(u.userId)).otp_locked_until!).getTime()
  t.equal(Math.round((until - clock.now().getTime()) / 60_000), 30, 'doubled')
  const audit = await db.selectFrom('audit_log').select('action').where('actor_user_id', '=', u.userId).where('action', '=', 'totp.locked').execute()
  t.equal(audit.length, 2)
})

t.test('at most 20 wrong codes a day', async (t) => {
  const u = await twoFactorUser('daily@example.com')
  const opts = { allowRecovery: false, ip: '127.0.0.1' }
  for (let i = 0; i < 20; i++) {
    // Lift the 5-in-a-row locks by hand: this test is about the daily count.
    await db.updateTable('limit_counters').set({ locked_until: null }).where('kind', '=', 'otp.streak').where('key', '=', u.userId).execute()
    t.same(await verifySecondFactor(app.deps, u.userId, '000000', opts), { ok: false, reason: 'wrong' })
  }
  t.equal((await dailyOf(u.userId))?.failures, 20, 'twenty counted on the daily counter')
  const locks = await db.selectFrom('audit_log').select('details').where('actor_user_id', '=', u.userId).where('action', '=', 'totp.locked').orderBy('id', 'desc').execute()
  t.ok(Number(locks[0]!.details.minutes) > 23 * 60, 'locked for the rest of the day')
  await db.updateTable('limit_counters').set({ locked_until: null }).where('kind', '=', 'otp.streak').where('key', '=', u.userId).execute()
  const right = codeAt(u.key, clock.now().getTime() + 60_000)
  t.same(await verifySecondFactor(app.deps, u.userId, right, opts), { ok: false, reason: 'locked' }, 'even a right code')
  clock.advance(24 * 3600)
  t.same(await verifySecondFactor(app.deps, u.userId, codeAt(u.key, clock.now().getTime()), opts), { ok: true, method: 'totp' }, 'a day later')
})

t.test('recovery codes: single use at sign-in; regenerate replaces all of them', async (t) => {
  const u = await twoFactorUser('recovery@example.com')
  const a = await passwordStep(u.email)
  const signedIn = await a.post(`${base}login/two-factor`, { code: u.codes[0]!.toLowerCase().replace(/(.{4})/g, '$1 ') })
  t.equal(signedIn.statusCode, 303)
  t.match((await a.get(signedIn.headers.location as string)).body, 'You signed in with a recovery code. Recovery codes left: 9;', 'the next page says how many are left and where to make new ones')
  const b = await passwordStep(u.email)
  const used = await b.post(`${base}login/two-factor`, { code: u.codes[0]! })
  t.equal(used.statusCode, 422, 'a used recovery code is refused')
  t.equal(fieldError(used.body, 'code'), 'Wrong code. Check the app and try again.')
  // Regenerate: re-confirmed with a One-time password, then all old codes are gone.
  const c = await passwordStep(u.email)
  await c.post(`${base}login/two-factor`, { code: u.codes[1]! })
  await c.get(S)
  const ask = await c.postPrompted(`${S}/recovery-codes`, {})
  t.ok(Agent.isPrompt(ask), 'a confirmation is asked first')
  t.match(ask.body, 'To make new recovery codes, enter a One-time password')
  const unused = async () => (await db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', u.userId).where('used_at', 'is', null).execute()).length
  t.equal(await unused(), 8, 'nothing changed before the confirmation')
  clock.advance(30)
  const fresh = await c.confirm(ask, codeAt(u.key, clock.now().getTime()))
  t.equal(fresh.statusCode, 200, 'confirmed: the new codes are shown in the same flow')
  t.equal(fresh.headers['cache-control'], 'no-store')
  const newCodes = [...fresh.body.matchAll(/name="code" value="([A-Z2-7]{16})"/g)].map((m) => m[1]!)
  t.equal(newCodes.length, 10)
  const d = await passwordStep(u.email)
  t.equal((await d.post(`${base}login/two-factor`, { code: u.codes[2]! })).statusCode, 422, 'old codes no longer work')
  t.equal((await d.post(`${base}login/two-factor`, { code: newCodes[0]! })).statusCode, 303)
})

t.test('re-confirmation is bound to its operation and its target, and expires', async (t) => {
  const u = await createUser(ta, owner.accountId, 'stepup@example.com')
  await db.insertInto('user_permissions').values([{ user_id: u.userId, permission: 'users.view' }, { user_id: u.userId, permission: 'users.manage' }]).execute()
  const a = new Agent(app)
  await a.logIn(base, u.email, u.password)
  await a.get(`${base}client/profile`)
  const victim = await createUser(ta, owner.accountId, 'victim2@example.com')
  const other = await createUser(ta, owner.accountId, 'victim3@example.com')
  // The phone change: the prompt carries the number; a wrong password changes nothing.
  const prompt = await a.postPrompted(`${base}client/profile/phone`, { phone: '+79123450001' })
  t.ok(Agent.isPrompt(prompt))
  t.match(prompt.body, 'To change your phone number, enter your password.')
  t.match(prompt.body, 'name="phone" value="+79123450001"', 'what the user typed is kept')
  t.match(prompt.body, `href="${base}client/profile#phone"`, 'Cancel leads back to where the user was')
  t.equal((await a.confirm(prompt, 'wrong password here')).statusCode, 422)
  t.equal((await db.selectFrom('users').select('phone').where('id', '=', u.userId).executeTakeFirstOrThrow()).phone, null)
  const done = await a.confirm(prompt, u.password)
  t.equal(done.statusCode, 303, 'confirmed: the phone change completes in the same flow')
  t.equal(done.headers.location, `${base}client/profile`, 'no anchor: the message at the top stays in view')
  t.equal((await db.selectFrom('users').select('phone').where('id', '=', u.userId).executeTakeFirstOrThrow()).phone, '+79123450001')
  // A confirmation for another operation does not count.
  const refused = await a.postPrompted(`${base}client/users/${victim.userId}/delete`, {})
  t.ok(Agent.isPrompt(refused), 'a confirmation for another operation does not count')
  t.match(refused.body, 'To delete the user victim2@example.com, enter your password.', 'the prompt names the operation and its target')
  t.ok(await db.selectFrom('users').select('id').where('id', '=', victim.userId).executeTakeFirst(), 'nothing changed')
  // Confirmed for disabling user A: disabling user B asks again.
  const disableA = await a.postConfirmed(`${base}client/users/${victim.userId}/disable`, {}, u.password)
  t.equal(disableA.statusCode, 303)
  t.equal((await db.selectFrom('users').select('status').where('id', '=', victim.userId).executeTakeFirstOrThrow()).status, 'disabled')
  const disableB = await a.postPrompted(`${base}client/users/${other.userId}/disable`, {})
  t.ok(Agent.isPrompt(disableB), 'a confirmation for one target is not one for another')
  t.equal((await db.selectFrom('users').select('status').where('id', '=', other.userId).executeTakeFirstOrThrow()).status, 'active')
  // A forged prompt answer for target B posted to target B's URL with A's confirmation only: still refused without the proof.
  const forged = await a.postPrompted(`${base}client/users/${other.userId}/disable`, { op: 'users.disable', target: victim.userId })
  t.ok(Agent.isPrompt(forged))
  // Another account's user: a 404 at once, no prompt.
  const stranger = await createOwner(ta, 'stranger-owner@example.com')
  const foreign = await a.postRefused(`${base}client/users/${stranger.userId}/disable`, {})
  t.equal(foreign.statusCode, 404)
  t.notOk(Agent.isPrompt(foreign), 'no password prompt for another account\'s user')
  // Expiry: the phone change stays confirmed until five minutes are over, then asks again.
  clock.advance(5 * 60 - 1)
  await a.get(`${base}client/profile`)
  t.equal((await a.postStillConfirmed(`${base}client/profile/phone`, { phone: '+79123450001' })).statusCode, 303, 'the same operation within five minutes: no prompt')
  clock.advance(2)
  await a.get(`${base}client/profile`)
  const expired = await a.postPrompted(`${base}client/profile/phone`, { phone: '+79123450002' })
  t.ok(Agent.isPrompt(expired), 'expired after five minutes')
  t.equal((await db.selectFrom('users').select('phone').where('id', '=', u.userId).executeTakeFirstOrThrow()).phone, '+79123450001')
})

t.test('with 2FA, confirmations and the password change ask for a One-time password', async (t) => {
  const u = await twoFactorUser('otp-confirm@example.com')
  const prompt = await u.a.postPrompted(`${base}client/profile/phone`, { phone: '+79123450010' })
  t.match(prompt.body, '>One-time password</label>')
  t.equal((await u.a.confirm(prompt, u.password)).statusCode, 422, 'the password is not enough')
  const profile = await u.a.get(`${base}client/profile`)
  t.match(profile.body, 'name="otp"')
  const noOtp = await u.a.post(`${base}client/profile/password`, { current_password: u.password, new_password: 'a brand new passphrase', new_password_repeat: 'a brand new passphrase', otp: '' })
  t.equal(noOtp.statusCode, 422)
  t.ok(fieldError(noOtp.body, 'otp'))
  clock.advance(30)
  const ok = await u.a.post(`${base}client/profile/password`, { current_password: u.password, new_password: 'a brand new passphrase', new_password_repeat: 'a brand new passphrase', otp: codeAt(u.key, clock.now().getTime()) })
  t.equal(ok.statusCode, 303)
})

t.test('disable needs the One-time password and the password', async (t) => {
  const u = await twoFactorUser('disable2fa@example.com')
  await u.a.get(S)
  const noPassword = await u.a.post(`${S}/disable`, { password: 'wrong password here', code: codeAt(u.key, clock.now().getTime()) })
  t.equal(noPassword.statusCode, 422)
  t.equal(fieldError(noPassword.body, 'password'), 'This is not your current password.')
  const noCode = await u.a.post(`${S}/disable`, { password: u.password, code: '000000' })
  t.equal(noCode.statusCode, 422)
  t.equal((await db.selectFrom('users').select('two_factor_enabled').where('id', '=', u.userId).executeTakeFirstOrThrow()).two_factor_enabled, true)
  clock.advance(30)
  const ok = await u.a.post(`${S}/disable`, { password: u.password, code: codeAt(u.key, clock.now().getTime()) })
  t.equal(ok.statusCode, 303)
  t.match(flashOf((await u.a.get(`${base}client/settings`)).body), 'Two-factor authentication has been disabled.')
  const row = await db.selectFrom('users').select(['two_factor_enabled', 'totp_secret']).where('id', '=', u.userId).executeTakeFirstOrThrow()
  t.same(row, { two_factor_enabled: false, totp_secret: null })
  t.equal((await db.selectFrom('recovery_codes').select('user_id').where('user_id', '=', u.userId).execute()).length, 0)
  t.equal((await new Agent(app).logIn(base, u.email, u.password)).headers.location, `${base}client/profile`, 'no second step any more')
})
