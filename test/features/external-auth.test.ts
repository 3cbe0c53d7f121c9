// External authorization services (SPEC §4.4) against a real OpenID Connect
// provider (oidc-provider, its development login and consent pages driven
// over HTTP) and a plain OAuth 2.0 server, both on loopback: bind, log in,
// 2FA after it, unbind, and every way a callback can fail.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { type Agent, createOwner, createUser, flashOf, signIn, startTestApp, type TestApp } from '../helpers/app.ts'
import { authorizeAt, startOAuthServer, startOidcProvider, writeServicesFile } from '../helpers/identity-provider.ts'
import { Agent as Browser } from '../helpers/app.ts'
import { backoffSeconds } from '../../src/features/auth/throttle.ts'

const PUBLIC = 'http://panel.test/'
// The provider's accounts, read on each sign-in there: a test may change one's email.
const idpAccounts: Record<string, { email?: string, name?: string }> = {
  anna: { email: 'anna@idp.example', name: 'Anna at IdP' }, mallory: { email: 'owner@example.com', name: 'Mallory' }, boris: { email: 'boris@idp.example' }, dora: { email: 'dora@idp.example' }
}
const idp = await startOidcProvider({ redirectUris: [`${PUBLIC}auth/keycloak/callback`], accounts: idpAccounts })
t.teardown(() => idp.stop())
const oauth = await startOAuthServer({ clientId: 'gh-client', clientSecret: 'gh-secret', users: { anna: { id: 4242, email: 'anna@gh.example' } } })
t.teardown(() => oauth.stop())

const dir = mkdtempSync(path.join(tmpdir(), 'extauth-'))
const file = writeServicesFile(dir, [
  { id: 'keycloak', name: 'Keycloak', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, scopes: ['openid', 'email', 'profile'] },
  { id: 'github', name: 'GitHub', authorizationUrl: `${oauth.url}/authorize`, tokenUrl: `${oauth.url}/token`, userinfoUrl: `${oauth.url}/user`, subjectField: 'id', clientId: 'gh-client', clientSecret: 'gh-secret' }
])
const ta = await startTestApp(t, { env: { AUTH_PROVIDERS_FILE: file } })
const { app, base } = ta
const db = app.deps.db
const PAGE = `${base}client/settings/external-auth`
const owner = await createOwner(ta)
const other = await createUser(ta, owner.accountId, 'other@example.com')

const local = (url: string): string => url.startsWith(PUBLIC) ? base + url.slice(PUBLIC.length) : url

/**
 * Presses Bind, answering the re-confirmation with the password (null: a
 * confirmation of this service is still live, no prompt comes), and returns
 * the provider's authorization URL.
 */
async function startBind (a: Agent, service: string, proof: string | null): Promise<string> {
  await a.get(PAGE)
  const url = `${base}auth/${service}/start`
  const res = proof === null ? await a.postStillConfirmed(url, { intent: 'bind' }) : await a.postConfirmed(url, { intent: 'bind' }, proof)
  if (res.statusCode !== 303) throw new Error(`Bind answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
  return res.headers.location as string
}

/** Presses "Log in with …" on the login page and returns the provider's authorization URL. */
async function startLogin (a: Agent, service: string): Promise<string> {
  const page = await a.get(`${base}login`)
  if (!page.body.includes(`action="${base}auth/${service}/start"`)) throw new Error('no Log in with button')
  const res = await a.postUnprompted(`${base}auth/${service}/start`, {})
  if (res.statusCode !== 303) throw new Error(`start answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
  return res.headers.location as string
}

async function callback (a: Agent, url: string) {
  return await a.get(local(url))
}

const links = async () => await db.selectFrom('external_identities').select(['user_id', 'service', 'subject', 'display']).orderBy('id').execute()

t.test('the settings page lists the services; the login page offers Log in with each', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const page = await a.get(PAGE)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'Keycloak')
  t.match(page.body, 'GitHub')
  t.match(page.body, 'Not bound')
  const login = await new Browser(app).get(`${base}login`)
  t.match(login.body, 'Log in with Keycloak')
  t.match(login.body, 'Log in with GitHub')
  const settings = await a.get(`${base}client/settings`)
  t.match(settings.body, 'External authorization services')
})

t.test('bind with OpenID Connect, log in with it, then unbind', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const auth = new URL(await startBind(a, 'keycloak', owner.password))
  t.equal(auth.origin, idp.issuer, 'to the provider')
  t.equal(auth.searchParams.get('code_challenge_method'), 'S256')
  t.ok(auth.searchParams.get('state'))
  t.ok(auth.searchParams.get('nonce'))
  t.equal(auth.searchParams.get('redirect_uri'), `${PUBLIC}auth/keycloak/callback`)
  const back = await callback(a, await authorizeAt(auth.href, 'anna', PUBLIC))
  t.equal(back.statusCode, 303)
  t.equal(back.headers.location, PAGE)
  const page = await a.get(PAGE)
  t.match(flashOf(page.body), 'Keycloak is bound')
  t.match(page.body, 'anna@idp.example')
  t.same((await links()).map((l) => [l.user_id, l.service, l.subject]), [[owner.userId, 'keycloak', 'anna']])

  // Log in with it in a new browser.
  const b = new Browser(app)
  const done = await callback(b, await authorizeAt(await startLogin(b, 'keycloak'), 'anna', PUBLIC))
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, `${base}client/profile`)
  const profile = await b.get(`${base}client/profile`)
  t.equal(profile.statusCode, 200)
  t.match(profile.body, owner.email)
  const attempt = await db.selectFrom('login_attempts').select(['method', 'service', 'success']).where('user_id', '=', owner.userId).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.same(attempt, { method: 'external', service: 'keycloak', success: true }, 'the sign-in history records the method and the service')
  const event = await db.selectFrom('audit_log').select('details').where('action', '=', 'login.success').orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.match(event.details, { method: 'external', service: 'keycloak' })
  const sessions = await b.get(`${base}client/profile/sessions`)
  t.match(sessions.body, /data-label="Method">Keycloak<\/td>/, 'the Sessions page names the service by its configured name')

  // Unbind: the prompt, answered explicitly.
  await a.get(PAGE)
  const unbound = await a.postConfirmed(`${PAGE}/keycloak/unbind`, {}, owner.password)
  t.equal(unbound.statusCode, 303)
  t.match(flashOf((await a.get(PAGE)).body), 'Keycloak is unbound')
  t.same(await links(), [])
  t.ok(await db.selectFrom('audit_log').select('id').where('action', '=', 'external_auth.unbound').executeTakeFirst())
  const activity = (await a.get(`${base}client/activity`)).body
  for (const sentence of ['bound their Keycloak account anna@idp.example', `${owner.email}) signed in with Keycloak`, 'unbound their Keycloak account']) {
    t.match(activity, sentence, 'the activity log names the service by its configured name, not its id (keycloak)')
  }
  // Now the identity signs nobody in.
  const c = new Browser(app)
  const refused = await callback(c, await authorizeAt(await startLogin(c, 'keycloak'), 'anna', PUBLIC))
  t.equal(refused.statusCode, 422)
  t.match(refused.body, 'No user is bound to this Keycloak account')
  t.equal((await c.get(`${base}client/profile`)).statusCode, 303, 'not signed in')
})

t.test('with 2FA on, the service is the first factor: the second step follows', async (t) => {
  const u = await createUser(ta, owner.accountId, 'twofa@example.com')
  const secret = new OTPAuth.Secret()
  const a = await signIn(ta, u.email, u.password)
  await callback(a, await authorizeAt(await startBind(a, 'keycloak', u.password), 'boris', PUBLIC))
  t.equal((await links()).filter((l) => l.user_id === u.userId).length, 1)
  // 2FA on, straight in the database (its own tests cover turning it on).
  const { seal } = await import('../../src/lib/sealed.ts')
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: seal(app.deps.keys.totp, secret.base32) }).where('id', '=', u.userId).execute()
  const b = new Browser(app)
  const res = await callback(b, await authorizeAt(await startLogin(b, 'keycloak'), 'boris', PUBLIC))
  t.equal(res.headers.location, `${base}login/two-factor`, 'the second step')
  t.equal((await b.get(`${base}client/profile`)).statusCode, 303, 'nothing behind the login yet')
  await b.get(`${base}login/two-factor`)
  const code = new OTPAuth.TOTP({ secret }).generate({ timestamp: ta.clock.now().getTime() })
  const done = await b.post(`${base}login/two-factor`, { code })
  t.equal(done.statusCode, 303)
  t.equal((await b.get(`${base}client/profile`)).statusCode, 200)
  const event = await db.selectFrom('audit_log').select('details').where('action', '=', 'login.success').where('actor_user_id', '=', u.userId).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.match(event.details, { method: 'totp', service: 'keycloak' })
  t.match((await b.get(`${base}client/profile/sessions`)).body, /data-label="Method">Keycloak and one-time password<\/td>/, 'the history names both factors')
})

t.test('callbacks that fail bind nothing and sign nobody in', async (t) => {
  const a = await signIn(ta, other.email, other.password)
  const before = await links()

  t.test('state replayed into another session', async (t) => {
    const url = await authorizeAt(await startBind(a, 'keycloak', other.password), 'anna', PUBLIC)
    const attacker = await signIn(ta, owner.email, owner.password)
    const res = await callback(attacker, url)
    t.equal(res.statusCode, 400)
    t.match(res.body, 'does not belong to a sign-in started in this browser')
    // And the victim's own session can no longer use it either once used? It was not used there: still one try.
    t.same(await links(), before)
  })

  t.test('the same callback twice: the second is refused', async (t) => {
    const b = new Browser(app)
    const url = await authorizeAt(await startLogin(b, 'keycloak'), 'nobody', PUBLIC)
    const first = await callback(b, url)
    t.equal(first.statusCode, 422, 'not bound')
    const second = await callback(b, url)
    t.equal(second.statusCode, 400)
    t.match(second.body, 'already used')
  })

  t.test('a callback without state', async (t) => {
    const url = new URL(await authorizeAt(await startBind(a, 'keycloak', null), 'anna', PUBLIC))
    url.searchParams.delete('state')
    const res = await callback(a, url.href)
    t.equal(res.statusCode, 400)
    t.same(await links(), before)
  })

  t.test('a nonce that does not match the session', async (t) => {
    const auth = new URL(await startBind(a, 'keycloak', null))
    auth.searchParams.set('nonce', 'another-nonce-of-the-attacker')
    const res = await callback(a, await authorizeAt(auth.href, 'anna', PUBLIC))
    t.equal(res.statusCode, 400)
    t.match(res.body, 'does not belong')
    t.same(await links(), before)
  })

  t.test('a PKCE challenge that does not match: the token endpoint refuses', async (t) => {
    const auth = new URL(await startBind(a, 'keycloak', null))
    auth.searchParams.set('code_challenge', 'A'.repeat(43))
    const res = await callback(a, await authorizeAt(auth.href, 'anna', PUBLIC))
    t.equal(res.statusCode, 400)
    t.match(res.body, 'did not confirm who you are')
    t.same(await links(), before)
  })

  t.test('consent denied at the service', async (t) => {
    const res = await callback(a, await authorizeAt(await startBind(a, 'keycloak', null), 'anna', PUBLIC, { deny: true }))
    t.equal(res.statusCode, 400)
    t.match(res.body, 'Access was refused at the service')
    t.same(await links(), before)
  })
})

t.test('a sign-in with the service shows what it gives now (its email changed there), unless the user\'s data is restricted', async (t) => {
  const u = await createUser(ta, owner.accountId, 'dora@example.com')
  const a = await signIn(ta, u.email, u.password)
  await callback(a, await authorizeAt(await startBind(a, 'keycloak', u.password), 'dora', PUBLIC))
  const shown = async (): Promise<string | null | undefined> => (await links()).find((l) => l.user_id === u.userId)?.display
  t.equal(await shown(), 'dora@idp.example')
  idpAccounts.dora!.email = 'dora.new@idp.example'
  const b = new Browser(app)
  t.equal((await callback(b, await authorizeAt(await startLogin(b, 'keycloak'), 'dora', PUBLIC))).headers.location, `${base}client/profile`)
  t.equal(await shown(), 'dora.new@idp.example', 'refreshed by the sign-in')
  t.match((await b.get(PAGE)).body, 'dora.new@idp.example', 'and so shown on the Settings block')

  // Restricted (SPEC §4.3: read-only until lifted): the sign-in works, the binding keeps what it showed.
  await db.updateTable('users').set({ restricted: true }).where('id', '=', u.userId).execute()
  idpAccounts.dora!.email = 'dora.third@idp.example'
  const c = new Browser(app)
  t.equal((await callback(c, await authorizeAt(await startLogin(c, 'keycloak'), 'dora', PUBLIC))).headers.location, `${base}client/profile`)
  t.equal(await shown(), 'dora.new@idp.example', 'not changed while restricted')

  // A refused sign-in (the user disabled) changes nothing either.
  await db.updateTable('users').set({ restricted: false, status: 'disabled' }).where('id', '=', u.userId).execute()
  idpAccounts.dora!.email = 'dora.fourth@idp.example'
  const before = await shown()
  const d = new Browser(app)
  t.equal((await callback(d, await authorizeAt(await startLogin(d, 'keycloak'), 'dora', PUBLIC))).statusCode, 422)
  t.equal(await shown(), before, 'not changed by a refused sign-in')
})

t.test('an identity bound to one user cannot be bound to another', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await callback(a, await authorizeAt(await startBind(a, 'keycloak', owner.password), 'anna', PUBLIC))
  const b = await signIn(ta, other.email, other.password)
  const res = await callback(b, await authorizeAt(await startBind(b, 'keycloak', other.password), 'anna', PUBLIC))
  t.equal(res.statusCode, 400)
  t.match(res.body, 'already bound to another user')
  t.same((await links()).filter((l) => l.subject === 'anna').map((l) => l.user_id), [owner.userId])
})

t.test('an email at the service equal to a user\'s email does not sign into that user', async (t) => {
  // mallory's email at the provider is the owner's login.
  const b = new Browser(app)
  const res = await callback(b, await authorizeAt(await startLogin(b, 'keycloak'), 'mallory', PUBLIC))
  t.equal(res.statusCode, 422)
  t.match(res.body, 'No user is bound')
  t.equal((await b.get(`${base}client/profile`)).statusCode, 303)
})

t.test('a disabled user is refused as with a password', async (t) => {
  const u = await createUser(ta, owner.accountId, 'soon-disabled@example.com')
  const a = await signIn(ta, u.email, u.password)
  oauth.signedIn = 'anna'
  await callback(a, await authorizeAt(await startBind(a, 'github', u.password), 'anna', PUBLIC))
  t.equal((await links()).filter((l) => l.user_id === u.userId && l.service === 'github').length, 1, 'bound through plain OAuth 2.0')
  t.equal((await links()).find((l) => l.user_id === u.userId)?.subject, '4242', 'the subject is the userinfo field')
  const b = new Browser(app)
  const ok = await callback(b, await authorizeAt(await startLogin(b, 'github'), 'anna', PUBLIC))
  t.equal(ok.headers.location, `${base}client/profile`, 'logs in with the OAuth 2.0 service')
  await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', u.userId).execute()
  const c = new Browser(app)
  const res = await callback(c, await authorizeAt(await startLogin(c, 'github'), 'anna', PUBLIC))
  t.equal(res.statusCode, 422)
  t.match(res.body, 'Wrong email or password')
  t.equal((await c.get(`${base}client/profile`)).statusCode, 303)
})

t.test('the provider down during login: a plain page, nobody signed in', async (t) => {
  // A fresh app: nothing discovered yet, so the start itself meets the outage.
  const fresh: TestApp = await startTestApp(t, { env: { AUTH_PROVIDERS_FILE: file } })
  await idp.stop()
  t.teardown(() => idp.restart())
  const b = new Browser(fresh.app)
  await b.get(`${fresh.base}login`)
  const res = await b.postUnprompted(`${fresh.base}auth/keycloak/start`, {})
  t.equal(res.statusCode, 503)
  t.match(res.body, 'cannot be reached')
  // Down between the redirect and the callback: the token endpoint cannot be reached.
  await idp.restart()
  const a = new Browser(app)
  const url = await authorizeAt(await startLogin(a, 'keycloak'), 'anna', PUBLIC)
  await idp.stop()
  const late = await callback(a, url)
  t.equal(late.statusCode, 503)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303)
})

t.test('a locked address and an IP outside the user\'s list are refused as with a password', async (t) => {
  const u = await createUser(ta, owner.accountId, 'locked@example.com')
  const a = await signIn(ta, u.email, u.password)
  await callback(a, await authorizeAt(await startBind(a, 'keycloak', u.password), 'carol', PUBLIC))
  // The password throttle locks the address: 20 wrong passwords in the hour (the back-off waits are let pass).
  for (let i = 0; i < 20; i++) {
    ta.clock.advance(backoffSeconds(i) + 1)
    await new Browser(app).logIn(base, u.email, 'wrong password, again')
  }
  t.equal(await db.selectFrom('limit_counters').select('count').where('kind', '=', 'login.email').where('key', '=', u.email).executeTakeFirst().then((r) => r?.count), 20, 'the hour\'s ceiling reached')
  ta.clock.advance(301)
  const b = new Browser(app)
  const res = await callback(b, await authorizeAt(await startLogin(b, 'keycloak'), 'carol', PUBLIC))
  t.equal(res.statusCode, 422)
  t.match(res.body, 'Wrong email or password')
  t.equal((await b.get(`${base}client/profile`)).statusCode, 303)
  const failed = await db.selectFrom('audit_log').select('details').where('action', '=', 'login.failed').where('actor_user_id', '=', u.userId).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.match(failed.details, { reason: 'throttled', service: 'keycloak' })

  ta.clock.advance(3700)
  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['192.0.2.1'] }).where('id', '=', u.userId).execute()
  const c = new Browser(app)
  const outside = await callback(c, await authorizeAt(await startLogin(c, 'keycloak'), 'carol', PUBLIC))
  t.equal(outside.statusCode, 422)
  t.match(outside.body, 'Wrong email or password')
  t.equal((await c.get(`${base}client/profile`)).statusCode, 303)
})

t.test('user:unbind-service, the export section and a completed deletion', async (t) => {
  const { runCli } = await import('../helpers/cli.ts')
  const u = await createUser(ta, owner.accountId, 'cli-unbind@example.com')
  const a = await signIn(ta, u.email, u.password)
  await callback(a, await authorizeAt(await startBind(a, 'keycloak', u.password), 'dave', PUBLIC))
  const env = { ...process.env, DATA_DIR: ta.config.dataDir, DATABASE_URL: ta.config.databaseUrl ?? '', AUTH_PROVIDERS_FILE: file }

  // The export: the section with the user's own identifier there.
  const { externalAuth } = await import('../../src/features/external-auth/index.ts')
  const rows: Array<Record<string, unknown>> = []
  for (const section of externalAuth.personalData!.export!) {
    t.equal(section.name, 'linked_services')
    for await (const r of section.query(db, { id: u.userId, accountId: owner.accountId }).stream()) rows.push(r)
  }
  t.match(rows, [{ service: 'keycloak', issuer: idp.issuer, subject: 'dave' }])

  const missing = await runCli(env, ['user:unbind-service', '--email', u.email, '--service', 'github'])
  t.equal(missing.status, 1)
  t.match(missing.error, { code: 'refused', message: /--service: the user has no identity bound at "github"/ })
  const nobody = await runCli(env, ['user:unbind-service', '--id', '999999', '--service', 'keycloak'])
  t.equal(nobody.status, 1)
  t.match(nobody.stderr, /--id: no user has the id 999999/)
  const done = await runCli(env, ['user:unbind-service', '--email', u.email, '--service', 'keycloak'])
  t.equal(done.status, 0, done.stderr)
  t.same(JSON.parse(done.stdout), { userId: u.userId, service: 'keycloak', bound: false })
  t.equal((await links()).filter((l) => l.user_id === u.userId).length, 0)
  const event = await db.selectFrom('audit_log').select(['actor_user_id', 'details']).where('action', '=', 'external_auth.unbound').where('target_user_id', '=', u.userId).executeTakeFirstOrThrow()
  t.equal(event.actor_user_id, null, 'by the provider')
  t.match(event.details, { service: 'keycloak', by: 'provider' })

  // A completed deletion removes the links.
  await callback(a, await authorizeAt(await startBind(a, 'keycloak', null), 'dave', PUBLIC))
  t.equal((await links()).filter((l) => l.user_id === u.userId).length, 1)
  const request = await db.insertInto('privacy_requests').values({ account_id: owner.accountId, user_id: u.userId, kind: 'deletion', status: 'in_progress', created_at: ta.clock.now(), updated_at: ta.clock.now() }).returning('id').executeTakeFirstOrThrow()
  const { completeRequest } = await import('../../src/features/privacy/index.ts')
  t.match(await completeRequest(app.deps, request.id), { ok: true })
  t.equal((await links()).filter((l) => l.user_id === u.userId).length, 0, 'no link left')
})
