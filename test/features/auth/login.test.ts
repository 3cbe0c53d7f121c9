import { createHash } from 'node:crypto'
import { Signer } from '@fastify/cookie'
import t from 'tap'
import { Agent, createOwner, flashOf, startTestApp } from '../../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base } = ta
const owner = await createOwner(ta)
const db = app.deps.db

/**
 * The sessions row of a session cookie, looked up as the store does
 * (src/plugins/session.ts): the cookie is the id signed with SESSION_SECRET
 * (src/lib/cookie-signer.ts), URL-encoded; the table's key is SHA-256 of the id.
 */
function sessionIdOf (cookie: string): string {
  const unsigned = new Signer(ta.config.sessionSecret, 'sha256').unsign(decodeURIComponent(cookie))
  if (!unsigned.valid || unsigned.value === null) throw new Error(`not a session cookie signed by this app: ${cookie}`)
  return unsigned.value
}
async function sessionRows (cookie: string) {
  const key = createHash('sha256').update(sessionIdOf(cookie)).digest('hex')
  return await db.selectFrom('sessions').select('user_id').where('id', '=', key).execute()
}

t.test('signing in lands on the profile with a new session id', async (t) => {
  const a = new Agent(app)
  const page = await a.get(`${base}login`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /<label for="f-email">Email<\/label>/)
  t.notOk(a.cookies.get('sid'), 'an anonymous page starts no session')
  const csrfBefore = a.cookies.get('csrf')
  t.ok(csrfBefore, 'the CSRF secret of the login form is a signed cookie')
  const preLoginToken = a.lastCsrf
  const res = await a.post(`${base}login`, { email: 'OWNER@example.com', password: owner.password })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}client/profile`)
  const before = a.cookies.get('sid')
  t.ok(before, 'a session from the sign-in on')
  t.not(a.cookies.get('csrf'), csrfBefore, 'the CSRF secret is replaced at sign-in')
  const stale = await a.post(`${base}client/profile/name`, { _csrf: preLoginToken ?? '', full_name: 'Forged Name' })
  t.equal(stale.statusCode, 403, 'the pre-login CSRF token is dead')
  const again = new Agent(app)
  await again.logIn(base, owner.email, owner.password)
  const after = again.cookies.get('sid')
  t.not(after, before, 'each sign-in gets its own session id')
  const profile = await a.get(`${base}client/profile`)
  t.equal(profile.statusCode, 200)
  t.match(profile.body, 'Olga Owner')
  t.match(profile.body, 'owner@example.com')
  t.equal(profile.headers['cache-control'], 'no-store')

  t.same(await sessionRows(before!), [{ user_id: owner.userId }], 'the session is stored under the hash of its id, as the owner\'s')

  // A session id rotated away is dead: it gets no profile, and its row is gone.
  await a.get(`${base}client/profile`)
  t.equal((await a.post(`${base}client/profile/password`, { current_password: owner.password, new_password: 'a renewed passphrase here', new_password_repeat: 'a renewed passphrase here' })).statusCode, 303)
  t.not(a.cookies.get('sid'), before, 'a password change renews the session id')
  t.equal((await sessionRows(before!)).length, 0, 'the old id\'s row is gone')
  t.equal((await sessionRows(a.cookies.get('sid')!)).length, 1, 'the new id has its row')
  const old = new Agent(app)
  old.cookies.set('sid', before!)
  const res2 = await old.get(`${base}client/profile`)
  t.equal(res2.statusCode, 303)
  t.match(res2.headers.location, /\/login/)
  await ta.app.deps.db.updateTable('users').set({ password_hash: (await import('../../../src/lib/passwords.ts').then((m) => m.hashPassword(owner.password))) }).where('id', '=', owner.userId).execute()
})

t.test('unknown email, wrong password and disabled user get the same answer', async (t) => {
  await createOwner(ta, 'disabled@example.com', 'another fine passphrase', 'Dis Abled')
  await db.updateTable('users').set({ status: 'disabled' }).where('email', '=', 'disabled@example.com').execute()
  const answers = []
  for (const [email, password] of [['nobody@example.com', 'whatever it is here'], [owner.email, 'wrong password here'], ['disabled@example.com', 'another fine passphrase']] as const) {
    const a = new Agent(app)
    await a.get(`${base}login`)
    const res = await a.post(`${base}login`, { email, password })
    t.equal(res.statusCode, 422, email)
    answers.push(res.body.replace(/name="_csrf" value="[^"]+"/g, '').replace(/value="[^"]*@example.com"/, ''))
    t.match(res.body, 'Wrong email or password.')
    t.match(res.body, `value="${email}"`, 'the email is kept')
    t.notMatch(res.body, password, 'the password is not echoed')
  }
  t.equal(answers[0], answers[1])
  t.equal(answers[1], answers[2])
})

t.test('CSRF: a missing or wrong token is refused with 403 and changes nothing', async (t) => {
  const count = async () => Number((await db.selectFrom('login_attempts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
  const n0 = await count()
  const a = new Agent(app)
  await a.get(`${base}login`)
  const missing = await a.post(`${base}login`, { _csrf: null, email: owner.email, password: owner.password })
  t.equal(missing.statusCode, 403)
  t.match(missing.body, 'This form has expired')
  const wrong = await a.post(`${base}login`, { _csrf: 'x'.repeat(52), email: owner.email, password: owner.password })
  t.equal(wrong.statusCode, 403)
  t.equal(await count(), n0, 'no sign-in was tried')
  const noSession = new Agent(app)
  const res = await noSession.post(`${base}login`, { _csrf: a.lastCsrf!, email: owner.email, password: owner.password })
  t.equal(res.statusCode, 403, "another session's token is refused")
  // A token in the query string or a header is not taken.
  const viaHeader = await app.inject({ method: 'POST', url: `${base}login?_csrf=${a.lastCsrf}`, headers: { cookie: a.cookieHeader, 'x-csrf-token': a.lastCsrf!, 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${owner.email}&password=x` })
  t.equal(viaHeader.statusCode, 403)

  // Signed in, logout needs the token too.
  const b = new Agent(app)
  await b.logIn(base, owner.email, owner.password)
  const out = await b.post(`${base}logout`, { _csrf: null })
  t.equal(out.statusCode, 403)
  t.equal((await b.get(`${base}client/profile`)).statusCode, 200, 'still signed in')
})

t.test('logout destroys the session server-side', async (t) => {
  const a = new Agent(app)
  await a.logIn(base, owner.email, owner.password)
  await a.get(`${base}client/profile`)
  const cookie = a.cookies.get('sid')!
  t.equal((await sessionRows(cookie)).length, 1, 'the session row, found by the hash of the signed-in id')
  t.equal((await db.selectFrom('sessions').select('id').where('id', 'in', [sessionIdOf(cookie), cookie]).execute()).length, 0, 'neither the id nor the cookie is stored in clear')
  const out = await a.post(`${base}logout`, {})
  t.equal(out.statusCode, 303)
  t.equal(out.headers.location, `${base}login?signed_out=1`)
  t.match((await a.get(out.headers.location as string)).body, 'You have been signed out.', 'the login page says why it is shown')
  const replay = new Agent(app)
  replay.cookies.set('sid', cookie)
  const res = await replay.get(`${base}client/profile`)
  t.equal(res.statusCode, 303, 'the old cookie is signed out')
  t.equal((await sessionRows(cookie)).length, 0, 'the row is deleted, not only the cookie cleared')
})

t.test('pages behind the login send anonymous users to it, keeping where they were going', async (t) => {
  const a = new Agent(app)
  const res = await a.get(`${base}client/profile?x=1`)
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}login?return_to=${encodeURIComponent('/client/profile?x=1')}`)
  const login = await a.get(res.headers.location as string)
  t.match(login.body, 'name="return_to" value="/client/profile?x=1"')
  const done = await a.post(`${base}login`, { email: owner.email, password: owner.password, return_to: '/client/profile?x=1' })
  t.equal(done.headers.location, '/client/profile?x=1')
})

t.test('return_to never leaves the site', async (t) => {
  for (const target of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/login', 'client/profile']) {
    const a = new Agent(app)
    await a.get(`${base}login`)
    const res = await a.post(`${base}login`, { email: owner.email, password: owner.password, return_to: target })
    t.equal(res.headers.location, `${base}client/profile`, target)
  }
})

t.test('a repeated field is refused like bad credentials', async (t) => {
  const a = new Agent(app)
  await a.get(`${base}login`)
  const res = await a.post(`${base}login`, { email: [owner.email, owner.email], password: owner.password })
  t.equal(res.statusCode, 422)
})

t.test('security headers', async (t) => {
  const res = await app.inject({ url: `${base}login` })
  const csp = String(res.headers['content-security-policy'])
  t.match(csp, "default-src 'self'")
  t.match(csp, "object-src 'none'")
  t.match(csp, "base-uri 'none'")
  t.match(csp, "frame-ancestors 'none'")
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['referrer-policy'], 'same-origin')
  t.equal(res.headers['cache-control'], 'no-store')
  const cookie = String(res.headers['set-cookie'])
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Lax/)
  t.notMatch(cookie, /Domain=/)
  const css = await app.inject({ url: `${base}static/app.css` })
  t.equal(css.statusCode, 200)
  t.notMatch(String(css.headers['cache-control']), /no-store/)
})

t.test('unknown pages are a plain 404', async (t) => {
  const res = await app.inject({ url: `${base}nope` })
  t.equal(res.statusCode, 404)
  t.match(res.body, 'This page does not exist.')
})

t.test('health check answers when the database does', async (t) => {
  const res = await app.inject({ url: `${base}healthz` })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('the flash is shown once', async (t) => {
  const a = new Agent(app)
  await a.get(`${base}password/forgot`)
  await a.post(`${base}password/forgot`, { email: 'someone@example.com' })
  const first = await a.get(`${base}login`)
  t.match(flashOf(first.body), /If an account with this email exists/)
  const second = await a.get(`${base}login`)
  t.equal(flashOf(second.body), undefined)
})

t.test('a body that cannot be parsed gets a plain 400 page, an oversized one 413', async (t) => {
  const a = new Agent(app)
  await a.get(`${base}login`)
  const bad = await app.inject({ method: 'POST', url: `${base}login`, headers: { cookie: a.cookieHeader, 'content-type': 'application/json' }, payload: '{not json' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, 'The request could not be understood.')
  const big = await app.inject({ method: 'POST', url: `${base}login`, headers: { cookie: a.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${'a'.repeat(70_000)}` })
  t.equal(big.statusCode, 413)
  t.match(big.body, 'The form is too large.')
})
