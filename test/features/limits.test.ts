// Issue 9: every counter-based limit holds when the attempts arrive in
// parallel. Each test is the attack: a burst of parallel guesses, then the
// right answer, and what was evaluated is read back from what the checks
// leave behind (sign-in history rows not marked throttled, audit rows of
// failed checks, the counters), never from timing.
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { FREE_FAILURES, IP_HOURLY_LIMIT } from '../../src/features/auth/throttle.ts'
import { useCode, MAX_ATTEMPTS } from '../../src/features/phone/codes.ts'
import { PASSWORD_CHECKS_PER_WINDOW } from '../../src/features/profile/service.ts'
import { PASSWORD_TRIES } from '../../src/features/two-factor/confirm.ts'
import { newSecret, sealSecret, STREAK_LIMIT } from '../../src/features/two-factor/otp.ts'
import { type LimitRule, recordFailure, recordSuccess, releaseAttempt, reserveAttempt } from '../../src/lib/limits.ts'
import { Agent, createOwner, createUser, fieldError, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmsGateway } from '../helpers/sms-gateway.ts'

const gateway = new TestSmsGateway()
await gateway.start()
t.teardown(() => gateway.stop())
const ta = await startTestApp(t, { env: { TRUST_PROXY: '127.0.0.1', SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_TOKEN: 'gateway-secret' } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const P = `${base}client/profile`
const BURST = 24

const times = <T>(n: number, fn: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => fn(i))
const auditCount = async (userId: string, action: string) =>
  (await db.selectFrom('audit_log').select('id').where('actor_user_id', '=', userId).where('action', '=', action).execute()).length
const counter = async (kind: string, key: string) =>
  await db.selectFrom('limit_counters').selectAll().where('kind', '=', kind).where('key', '=', key).executeTakeFirst()

t.test('reserveAttempt: of parallel reservations on one key exactly the limit gets through', async (t) => {
  const rule: LimitRule = { kind: 'test.plain', limit: 5, windowSeconds: 60, onSuccess: 'release' }
  const now = clock.now()
  const results = await Promise.all(times(40, () => reserveAttempt(db, [{ rule, key: 'k' }], now)))
  t.equal(results.filter((r) => r.ok).length, 5)
  const refused = results.find((r) => !r.ok)
  t.same(refused, { ok: false, kind: 'test.plain', retryAfter: new Date(now.getTime() + 60_000) }, 'refused until the window ends')
  // A success gives its attempt back; a failure keeps it; a void one gives it back.
  const [a, b, c] = results.filter((r) => r.ok)
  if (a?.ok !== true || b?.ok !== true || c?.ok !== true) throw new Error('unreachable')
  await recordSuccess(db, a, now)
  await releaseAttempt(db, b, now)
  t.equal(await recordFailure(db, c, now), undefined)
  t.equal((await counter('test.plain', 'k'))?.count, 3)
  t.equal((await Promise.all(times(10, () => reserveAttempt(db, [{ rule, key: 'k' }], now)))).filter((r) => r.ok).length, 2)
  clock.advance(60)
  t.ok((await reserveAttempt(db, [{ rule, key: 'k' }], clock.now())).ok, 'a new window')
})

t.test('reserveAttempt: several keys are reserved all or none', async (t) => {
  const wide: LimitRule = { kind: 'test.wide', limit: 100, windowSeconds: 60, onSuccess: 'release' }
  const narrow: LimitRule = { kind: 'test.narrow', limit: 3, windowSeconds: 60, onSuccess: 'release' }
  const now = clock.now()
  const results = await Promise.all(times(20, () => reserveAttempt(db, [{ rule: wide, key: 'w' }, { rule: narrow, key: 'n' }], now)))
  t.equal(results.filter((r) => r.ok).length, 3)
  t.equal((await counter('test.wide', 'w'))?.count, 3, 'a refused reservation counts on no key')
})

t.test('reserveAttempt: a lock rule locks after the limit of failures and doubles', async (t) => {
  const rule: LimitRule = { kind: 'test.lock', limit: 3, windowSeconds: null, lock: { seconds: 60, doublingWithinSeconds: 3600 }, onSuccess: 'reset' }
  const lockOnce = async () => {
    const now = clock.now()
    const rs = await Promise.all(times(10, () => reserveAttempt(db, [{ rule, key: 'l' }], now)))
    const ok = rs.filter((r) => r.ok)
    t.equal(ok.length, 3)
    const untils = await Promise.all(ok.map((r) => recordFailure(db, r, now)))
    return untils.filter((u) => u !== undefined).map((u) => (u.getTime() - now.getTime()) / 1000)
  }
  t.same(await lockOnce(), [60], 'the third failure locks for a minute')
  t.notOk((await reserveAttempt(db, [{ rule, key: 'l' }], clock.now())).ok, 'locked')
  clock.advance(61)
  t.same(await lockOnce(), [120], 'the next lock is twice as long')
})

/** A 2FA user, its key, straight into the database. */
async function twoFactorUser (email: string) {
  const u = await createUser(ta, owner.accountId, email)
  const key = newSecret()
  await db.updateTable('users').set({ totp_secret: sealSecret(app.deps, key), two_factor_enabled: true }).where('id', '=', u.userId).execute()
  const code = (ms: number) => new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ms })
  const wrong = () => code(clock.now().getTime() + 5 * 30_000)
  return { ...u, code: () => code(clock.now().getTime()), wrong }
}

async function loginAgent (ip: string): Promise<Agent> {
  const a = new Agent(app, { 'x-forwarded-for': ip })
  await a.get(`${base}login`)
  return a
}

t.test('sign-in: a burst of parallel wrong passwords, then the right one', async (t) => {
  const u = await createUser(ta, owner.accountId, 'burst@example.com', 'the right passphrase')
  const a = await loginAgent('203.0.113.20')
  const burst = await Promise.all(times(BURST, (i) => a.post(`${base}login`, { email: u.email, password: `guess number ${i}` })))
  t.ok(burst.every((r) => r.statusCode === 422))
  const rows = await db.selectFrom('login_attempts').select('throttled').where('email', '=', u.email).execute()
  t.equal(rows.length, BURST, 'every try is in the history')
  t.equal(rows.filter((r) => !r.throttled).length, FREE_FAILURES, 'only the free failures were checked; the rest waited for the back-off')
  t.equal((await counter('login.email', u.email))?.count, FREE_FAILURES)

  // A second burst with the right password in it: nothing is checked, the right one is refused like the rest.
  const b = await loginAgent('203.0.113.21')
  const second = await Promise.all([...times(BURST, (i) => b.post(`${base}login`, { email: u.email, password: `guess again ${i}` })), b.post(`${base}login`, { email: u.email, password: u.password })])
  t.ok(second.every((r) => r.statusCode === 422), 'the right password is refused too')
  t.match(second.at(-1)!.body, 'Wrong email or password', 'answered like a wrong password')
  const after = await db.selectFrom('login_attempts').select('throttled').where('email', '=', u.email).execute()
  t.equal(after.filter((r) => !r.throttled).length, FREE_FAILURES, 'no more checks')
  t.equal((await (await loginAgent('203.0.113.22')).post(`${base}login`, { email: u.email, password: u.password })).statusCode, 422, 'and after the burst')
  clock.advance(2)
  t.equal((await (await loginAgent('203.0.113.22')).post(`${base}login`, { email: u.email, password: u.password })).statusCode, 303, 'once the back-off has passed')
  t.equal((await counter('login.email', u.email))?.count, 0, 'a sign-in starts the count again')
})

t.test('sign-in: one IP spraying many addresses in parallel gets at most its hourly limit checked', async (t) => {
  clock.advance(7200)
  const u = await createUser(ta, owner.accountId, 'sprayed@example.com', 'the sprayed passphrase')
  const a = await loginAgent('198.51.100.77')
  const n = IP_HOURLY_LIMIT + 20
  await Promise.all(times(n, (i) => a.post(`${base}login`, { email: `spray${i}@example.com`, password: 'spring2026 spring' })))
  const rows = await db.selectFrom('login_attempts').select('throttled').where('ip', '=', '198.51.100.77').execute()
  t.equal(rows.length, n)
  t.equal(rows.filter((r) => !r.throttled).length, IP_HOURLY_LIMIT, 'no more than the per-IP limit were checked')
  t.equal((await a.post(`${base}login`, { email: u.email, password: u.password })).statusCode, 422, 'the right password from that IP is refused')
  t.equal((await (await loginAgent('198.51.100.78')).post(`${base}login`, { email: u.email, password: u.password })).statusCode, 303, 'from another IP it is not')
})

t.test('sign-in: parallel right passwords with a second step due do not count as failures', async (t) => {
  const u = await twoFactorUser('twostep@example.com')
  const a = await loginAgent('203.0.113.30')
  const res = await Promise.all(times(8, () => a.post(`${base}login`, { email: u.email, password: u.password })))
  t.ok(res.every((r) => r.statusCode === 303 || r.statusCode === 422))
  t.equal((await counter('login.email', u.email))?.count, 0)
})

t.test('password form: a burst of wrong current passwords, then the right one', async (t) => {
  const u = await createUser(ta, owner.accountId, 'pwburst@example.com', 'the right passphrase')
  const a = await signIn(ta, u.email, u.password)
  const form = (current: string) => ({ current_password: current, new_password: 'a brand new passphrase', new_password_repeat: 'a brand new passphrase' })
  const burst = await Promise.all(times(BURST, (i) => a.post(`${P}/password`, form(`guess number ${i}`))))
  t.ok(burst.every((r) => r.statusCode === 422))
  t.equal(await auditCount(u.userId, 'password.change_failed'), PASSWORD_CHECKS_PER_WINDOW, 'five checked, the rest refused unchecked')
  t.equal(burst.filter((r) => fieldError(r.body, 'current_password') === 'Too many wrong tries. Wait 15 minutes and try again.').length, BURST - PASSWORD_CHECKS_PER_WINDOW)
  const second = await Promise.all([...times(8, (i) => a.post(`${P}/password`, form(`guess again ${i}`))), a.post(`${P}/password`, form(u.password))])
  t.ok(second.every((r) => fieldError(r.body, 'current_password') === 'Too many wrong tries. Wait 15 minutes and try again.'), 'the right one is refused')
  t.equal(await auditCount(u.userId, 'password.change_failed'), PASSWORD_CHECKS_PER_WINDOW, 'nothing more was checked')
  t.equal(await auditCount(u.userId, 'password.changed'), 0)
  clock.advance(15 * 60 + 1)
  const b = await signIn(ta, u.email, u.password)
  t.equal((await b.post(`${P}/password`, form(u.password))).statusCode, 303, 'the form opens again after 15 minutes')
})

t.test('re-confirmation with the password: a burst of wrong passwords, then the right one', async (t) => {
  const u = await createUser(ta, owner.accountId, 'confirmburst@example.com', 'the right passphrase')
  const a = await signIn(ta, u.email, u.password)
  // The phone form is re-confirmed: the prompt, then its answers posted with the proof it asks for.
  t.ok(Agent.isPrompt(await a.postPrompted(`${P}/phone`, { phone: '+79123457100' })))
  const save = (proof: string) => a.post(`${P}/phone`, { phone: '+79123457100', proof })
  const phoneNow = async () => (await db.selectFrom('users').select('phone').where('id', '=', u.userId).executeTakeFirstOrThrow()).phone
  const burst = await Promise.all(times(BURST, (i) => save(`guess number ${i}`)))
  t.ok(burst.every((r) => r.statusCode === 422 && Agent.isPrompt(r)), 'each answered with the prompt again')
  t.equal(await auditCount(u.userId, 'confirm.failed'), PASSWORD_TRIES, 'five checked, the rest refused unchecked')
  t.equal(burst.filter((r) => r.body.includes('Too many wrong tries.')).length, BURST - PASSWORD_TRIES)
  const second = await Promise.all([...times(8, (i) => save(`guess again ${i}`)), save(u.password)])
  t.ok(second.every((r) => r.statusCode === 422 && r.body.includes('Too many wrong tries.')), 'the right one is refused')
  t.equal(await auditCount(u.userId, 'confirm.failed'), PASSWORD_TRIES, 'nothing more was checked')
  t.equal(await phoneNow(), null, 'and nothing changed')
  clock.advance(15 * 60 + 1)
  await a.get(P)
  t.equal((await save(u.password)).statusCode, 303, 'accepted once the window has passed')
  t.equal(await phoneNow(), '+79123457100')
})

t.test('one-time passwords at the login step: a burst of wrong codes, then the right one', async (t) => {
  const u = await twoFactorUser('otpburst@example.com')
  const a = await loginAgent('203.0.113.40')
  t.equal((await a.post(`${base}login`, { email: u.email, password: u.password })).headers.location, `${base}login/two-factor`)
  await a.get(`${base}login/two-factor`)
  const burst = await Promise.all(times(BURST, () => a.post(`${base}login/two-factor`, { code: u.wrong() })))
  t.ok(burst.every((r) => r.statusCode === 422))
  t.equal(await auditCount(u.userId, 'totp.failed'), STREAK_LIMIT, 'five codes checked')
  t.equal(await auditCount(u.userId, 'totp.locked'), 1, 'one lock')
  t.equal(await auditCount(u.userId, 'totp.refused_locked'), BURST - STREAK_LIMIT, 'the rest refused unchecked')
  const right = await a.post(`${base}login/two-factor`, { code: u.code() })
  t.equal(fieldError(right.body, 'code'), 'Too many wrong codes: two-factor checks are locked for a while. Try again later.', 'the right code is refused')
  clock.advance(15 * 60 + 1)
  const b = await loginAgent('203.0.113.41')
  await b.post(`${base}login`, { email: u.email, password: u.password })
  await b.get(`${base}login/two-factor`)
  t.equal((await b.post(`${base}login/two-factor`, { code: u.code() })).statusCode, 303, 'the lock ends')
})

t.test('one-time passwords: parallel posts of the same right code, one wins and the others are not counted', async (t) => {
  const u = await twoFactorUser('otpsame@example.com')
  const agents: Agent[] = []
  for (let i = 0; i < 6; i++) {
    const a = await loginAgent('203.0.113.50')
    t.equal((await a.post(`${base}login`, { email: u.email, password: u.password })).headers.location, `${base}login/two-factor`)
    await a.get(`${base}login/two-factor`)
    agents.push(a)
  }
  const code = u.code()
  const res = await Promise.all(agents.map((a) => a.post(`${base}login/two-factor`, { code })))
  t.equal(res.filter((r) => r.statusCode === 303).length, 1, 'one wins')
  const losers = res.filter((r) => r.statusCode !== 303)
  t.ok(losers.every((r) => fieldError(r.body, 'code') === 'This code has already been used. Wait for the next one.'), 'the others: already used')
  t.equal(await auditCount(u.userId, 'totp.failed'), 0, 'none counted as a wrong code')
  t.equal((await counter('otp.streak', u.userId))?.failures ?? 0, 0)
})

t.test('one-time passwords on re-confirmation: a burst of wrong codes, then the right one', async (t) => {
  const u = await twoFactorUser('otpconfirm@example.com')
  const a = await loginAgent('203.0.113.60')
  await a.post(`${base}login`, { email: u.email, password: u.password })
  await a.get(`${base}login/two-factor`)
  t.equal((await a.post(`${base}login/two-factor`, { code: u.code() })).statusCode, 303)
  clock.advance(30)
  await a.get(P)
  t.match((await a.postPrompted(`${P}/phone`, { phone: '+79123457101' })).body, '>One-time password</label>', 'the prompt asks for a One-time password')
  const save = (proof: string) => a.post(`${P}/phone`, { phone: '+79123457101', proof })
  const burst = await Promise.all(times(BURST, () => save(u.wrong())))
  t.ok(burst.every((r) => r.statusCode === 422 && Agent.isPrompt(r)), 'each answered with the prompt again')
  t.equal(await auditCount(u.userId, 'totp.failed'), STREAK_LIMIT, 'five codes checked')
  const right = await save(u.code())
  t.equal(right.statusCode, 422, 'the right code is refused while locked')
  t.match(right.body, 'locked for a while')
  t.equal((await db.selectFrom('users').select('phone').where('id', '=', u.userId).executeTakeFirstOrThrow()).phone, null, 'nothing changed')
})

async function phoneUser (email: string, phone: string) {
  const u = await createUser(ta, owner.accountId, email)
  await db.updateTable('users').set({ phone }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password)
  // Confirm phone changes once, before the bursts (saving the same number changes nothing);
  // the bursts come within CONFIRM_SECONDS of it.
  if ((await a.postConfirmed(`${P}/phone`, { phone }, u.password)).statusCode !== 303) throw new Error('not confirmed')
  return { ...u, a }
}

t.test('SMS code: parallel wrong codes never get more than five comparisons', async (t) => {
  const u = await phoneUser('smsburst@example.com', '+79123457001')
  t.equal((await u.a.postStillConfirmed(`${P}/phone/verification`, {})).statusCode, 303)
  const code = await gateway.codeFor('+79123457001')
  const wrong = code === '000000' ? '000001' : '000000'
  const burst = await Promise.all(times(BURST, () => u.a.postStillConfirmed(`${P}/phone/verification/check`, { code: wrong })))
  t.ok(burst.every((r) => r.statusCode === 422))
  const row = await db.selectFrom('verification_codes').select('attempts').where('user_id', '=', u.userId).executeTakeFirstOrThrow()
  t.equal(row.attempts, MAX_ATTEMPTS, 'five tries counted, the code is burned')
  t.equal(burst.filter((r) => fieldError(r.body, 'code') === 'Wrong code. Check the SMS and try again.').length, MAX_ATTEMPTS - 1)
  const right = await u.a.postStillConfirmed(`${P}/phone/verification/check`, { code })
  t.equal(fieldError(right.body, 'code'), 'Too many wrong codes. Ask for a new one.', 'the right code is refused')
  t.equal((await db.selectFrom('users').select('phone_verified').where('id', '=', u.userId).executeTakeFirstOrThrow()).phone_verified, false)

  // Straight to useCode, each try in its own transaction (no row lock of the user to queue them).
  clock.advance(61)
  t.equal((await u.a.postStillConfirmed(`${P}/phone/verification`, {})).statusCode, 303)
  const fresh = await gateway.codeFor('+79123457001', 2)
  const other = fresh === '000000' ? '000001' : '000000'
  const results = await Promise.all(times(BURST, () => db.transaction().execute((trx) => useCode(app.deps, trx, u.userId, 'phone_verify', '+79123457001', other))))
  t.equal(results.filter((r) => !r.ok && r.reason === 'wrong').length, MAX_ATTEMPTS - 1)
  t.equal((await db.selectFrom('verification_codes').select('attempts').where('user_id', '=', u.userId).executeTakeFirstOrThrow()).attempts, MAX_ATTEMPTS)
  t.same(await db.transaction().execute((trx) => useCode(app.deps, trx, u.userId, 'phone_verify', '+79123457001', fresh)), { ok: false, reason: 'burned' })
})

t.test('SMS code: parallel resends never send more than the limits', async (t) => {
  clock.advance(3600)
  const u = await phoneUser('smsresend@example.com', '+79123457002')
  const sends = async () => (await db.selectFrom('code_sends').select('id').where('user_id', '=', u.userId).execute()).length
  for (let round = 1; round <= 7; round++) {
    if (round === 6) {
      // 5 × 61 s after phoneUser's confirmation: CONFIRM_SECONDS are over, so confirm again (the same number, nothing changes).
      t.equal((await u.a.postConfirmed(`${P}/phone`, { phone: '+79123457002' }, u.password)).statusCode, 303, 'confirmed again')
    }
    const answers = await Promise.all(times(10, () => u.a.postStillConfirmed(`${P}/phone/verification`, {})))
    t.equal(answers.filter((r) => r.statusCode === 303).length, round <= 5 ? 1 : 0, `round ${round}: sent or refused, never prompted`)
    t.equal(await sends(), Math.min(round, 5), `round ${round}: one a minute, five an hour`)
    clock.advance(61)
  }
  // Per number: first codes from many users to one number, all at once.
  clock.advance(3600)
  const users = await Promise.all(times(8, (i) => phoneUser(`smsnumber${i}@example.com`, '+79123457003')))
  await Promise.all(users.map((v) => v.a.postStillConfirmed(`${P}/phone/verification`, {})))
  const toNumber = await db.selectFrom('code_sends').select('id').where('destination', '=', '+79123457003').execute()
  t.equal(toNumber.length, 5, 'five an hour to one number')
})

t.test('odd keys: a huge address or one with a NUL is counted like any other', async (t) => {
  const a = await loginAgent('203.0.113.90')
  for (const email of ['x'.repeat(1000) + '@example.com', 'nul\u0000@example.com']) {
    t.equal((await a.post(`${base}login`, { email, password: 'whatever it is' })).statusCode, 422)
  }
  const keys = await db.selectFrom('limit_counters').select('key').where('kind', '=', 'login.email').where('key', 'like', 'sha256:%').execute()
  t.equal(keys.length, 2, 'stored as hashes')
})
