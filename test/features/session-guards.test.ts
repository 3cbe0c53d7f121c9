// Sessions against privilege games (issue 9): a sign-in waiting at the
// second step ends with the user's other sessions; a privilege change gives
// the user's session a new id; anonymous pages write no session row.
import { sql } from 'kysely'
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { sealSecret } from '../../src/features/two-factor/otp.ts'
import { issueToken } from '../../src/lib/tokens.ts'
import { ROTATION_GRACE_MS } from '../../src/plugins/session.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { runCli } from '../helpers/cli.ts'

const ta = await startTestApp(t)
const { app, base, config } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const count = async (): Promise<number> => Number((await sql<{ n: string }>`select count(*) as n from sessions`.execute(db)).rows[0]!.n)

async function twoFactorUser (email: string) {
  const u = await createUser(ta, owner.accountId, email)
  const secret = new OTPAuth.Secret({ size: 20 }).base32
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: sealSecret(app.deps, secret) }).where('id', '=', u.userId).execute()
  return u
}

/** An attacker who knows the password, stopped at the second step. */
async function pendingSignIn (email: string, password: string): Promise<Agent> {
  const a = new Agent(app)
  const res = await a.logIn(base, email, password)
  if (res.headers.location !== `${base}login/two-factor`) throw new Error(`no second step: ${String(res.headers.location)}`)
  await a.get(`${base}login/two-factor`)
  return a
}

const stillPending = async (a: Agent): Promise<boolean> => (await a.get(`${base}login/two-factor`)).statusCode === 200

t.test('a password reset ends a half-finished sign-in waiting at the second step', async (t) => {
  const u = await twoFactorUser('pending-reset@example.com')
  const attacker = await pendingSignIn(u.email, u.password)
  t.ok(await stillPending(attacker))
  t.equal((await db.selectFrom('sessions').select('id').where('pending_user_id', '=', u.userId).execute()).length, 1, 'the pending sign-in is stored as the user\'s')
  const token = await issueToken(db, u.userId, 'password_reset', ta.clock.now(), 3600)
  const owner2 = new Agent(app)
  await owner2.get(`${base}password/reset/${token}`)
  t.equal((await owner2.post(`${base}password/reset/${token}`, { password: 'a brand new passphrase', password_repeat: 'a brand new passphrase' })).statusCode, 303)
  t.notOk(await stillPending(attacker), 'the second step is gone with the reset')
})

t.test('disabling the user, a 2FA reset by the provider and a password change end it too', async (t) => {
  const u = await twoFactorUser('pending-disable@example.com')
  const a = await pendingSignIn(u.email, u.password)
  const admin = await signIn(ta, owner.email, owner.password)
  t.equal((await admin.postConfirmed(`${base}client/users/${u.userId}/disable`, {}, owner.password)).statusCode, 303)
  t.notOk(await stillPending(a), 'disable')

  const v = await twoFactorUser('pending-2fa-reset@example.com')
  const b = await pendingSignIn(v.email, v.password)
  const res = await runCli({ ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '' }, ['user:reset-2fa', '--email', v.email])
  t.equal(res.status, 0, res.stderr)
  t.notOk(await stillPending(b), '2FA reset by the provider')

  const w = await twoFactorUser('pending-password@example.com')
  const c = await pendingSignIn(w.email, w.password)
  // The user, signed in elsewhere with the second step done, changes the password.
  const self = await pendingSignIn(w.email, w.password)
  await db.updateTable('users').set({ two_factor_enabled: false }).where('id', '=', w.userId).execute()
  const fresh = await signIn(ta, w.email, w.password)
  await fresh.post(`${base}client/profile/password`, { current_password: w.password, new_password: 'another new passphrase', new_password_repeat: 'another new passphrase' })
  t.notOk(await stillPending(c), 'password change')
  t.notOk(await stillPending(self))
})

t.test('a permission change gives the user a new session id on the next request; the old id is dead', async (t) => {
  const u = await createUser(ta, owner.accountId, 'rotated@example.com')
  const user = await signIn(ta, u.email, u.password)
  const before = user.cookies.get('sid')!
  const admin = await signIn(ta, owner.email, owner.password)
  await admin.get(`${base}client/users/${u.userId}/permissions`)
  t.equal((await admin.postConfirmed(`${base}client/users/${u.userId}/permissions`, { action: 'enable', permission: 'users.view' }, owner.password)).statusCode, 303)
  const page = await user.get(`${base}client/users`)
  t.equal(page.statusCode, 200, 'still signed in, with the new permission')
  const after = user.cookies.get('sid')!
  t.not(after, before, 'a new session id')
  const replay = new Agent(app)
  replay.cookies.set('sid', before)
  ta.clock.advance(ROTATION_GRACE_MS / 1000 + 1)
  t.equal((await replay.get(`${base}client/profile`)).statusCode, 303, 'the old id signs nobody in once its grace is over')
  t.equal((await user.get(`${base}client/profile`)).statusCode, 200)
  t.equal(user.cookies.get('sid'), after, 'rotated once, not on every request')
})

t.test('parallel requests right after a permission change: each is answered, and the old id dies after its grace', async (t) => {
  const u = await createUser(ta, owner.accountId, 'rotated-parallel@example.com')
  const user = await signIn(ta, u.email, u.password)
  const old = user.cookies.get('sid')!
  const admin = await signIn(ta, owner.email, owner.password)
  await admin.get(`${base}client/users/${u.userId}/permissions`)
  t.equal((await admin.postConfirmed(`${base}client/users/${u.userId}/permissions`, { action: 'enable', permission: 'users.view' }, owner.password)).statusCode, 303)
  const answers = await Promise.all(Array.from({ length: 6 }, async () => await app.inject({ url: `${base}client/users`, headers: { cookie: `sid=${old}` } })))
  t.same(answers.map((r) => r.statusCode), [200, 200, 200, 200, 200, 200], 'all signed in, with the new permission')
  const ids = answers.map((r) => [r.headers['set-cookie'] ?? []].flat().map(String).find((c) => c.startsWith('sid='))).filter((c) => c !== undefined)
  t.ok(ids.length >= 1, 'the session got a new id (the requests that came after it are served by the retiring one)')
  t.equal((await db.selectFrom('sessions').select('id').where('user_id', '=', u.userId).where('rotate', '=', true).execute()).length, 0, 'no session still waits for a rotation')
  const late = await app.inject({ url: `${base}client/profile`, headers: { cookie: `sid=${old}` } })
  t.equal(late.statusCode, 200, 'within the grace the old id still answers')
  t.notOk([late.headers['set-cookie'] ?? []].flat().map(String).some((c) => c.startsWith('sid=')), 'and does not rotate again')
  ta.clock.advance(ROTATION_GRACE_MS / 1000 + 1)
  const replay = new Agent(app)
  replay.cookies.set('sid', old)
  t.equal((await replay.get(`${base}client/profile`)).statusCode, 303, 'the old id signs nobody in once its grace is over')
})

t.test('anonymous pages write no session row', async (t) => {
  const before = await count()
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ url: `${base}login` })
    t.equal(res.statusCode, 200)
  }
  await app.inject({ url: `${base}password/forgot` })
  t.equal(await count(), before, 'twenty bots on /login: no new rows')
  // The login form still works: its CSRF secret is a signed cookie.
  const a = new Agent(app)
  t.equal((await a.logIn(base, owner.email, owner.password)).statusCode, 303)
  // A forged CSRF cookie (not signed by us) is refused.
  const b = new Agent(app)
  await b.get(`${base}login`)
  b.cookies.set('csrf', 'attacker-chosen-secret')
  t.equal((await b.post(`${base}login`, { email: owner.email, password: owner.password })).statusCode, 403)
})
