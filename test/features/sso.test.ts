// SSO handoff (SPEC §6): the provider's single-use link, its page (one
// button, nothing changes on GET), the POST that signs in through the shared
// sign-in completion, and every way it must refuse: replay, parallel posts,
// expiry, foreign return paths, login CSRF, a disabled user, 2FA, the IP list.
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { createSsoLink } from '../../src/features/sso/index.ts'
import { issueToken, sha256 } from '../../src/lib/tokens.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { runCli } from '../helpers/cli.ts'

const ta = await startTestApp(t)
const { app, base, clock, config } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const PROFILE = `${base}client/profile`

let n = 0
async function newUser (): Promise<{ userId: string, email: string, password: string }> {
  return await createUser(ta, owner.accountId, `sso${++n}@example.com`)
}

/** A link's path and token, made as the provider makes it. */
async function link (userId: string, returnTo?: string): Promise<{ path: string, token: string, url: string, expiresAt: string }> {
  const r = await createSsoLink(app.deps, { userId, returnTo }, { ip: '203.0.113.9' })
  if (!r.ok) throw new Error(`createSsoLink: ${r.reason}`)
  const u = new URL(r.url)
  return { path: `${base}sso${u.search}`, token: u.searchParams.get('token')!, url: r.url, expiresAt: r.expiresAt }
}

/** Opens the link's page and presses its button, as a browser does. */
async function handoff (a: Agent, path: string) {
  const page = await a.get(path)
  const token = page.body.match(/name="token" value="([^"]+)"/)?.[1] ?? null
  return await a.post(`${base}sso`, { token })
}

const sessionsOf = async (userId: string) => (await db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length
const allSessions = async () => (await db.selectFrom('sessions').select('id').execute()).length
const eventsOf = async (userId: string, action: string) => await db.selectFrom('audit_log').select(['actor_user_id', 'target_user_id', 'ip', 'details']).where('action', '=', action)
  .where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('target_user_id', '=', userId)])).orderBy('id').execute()
const tokenRow = async (token: string) => await db.selectFrom('tokens').selectAll().where('id', '=', sha256(token)).executeTakeFirst()
const signedIn = async (a: Agent) => (await a.get(PROFILE)).statusCode === 200

t.test('createSsoLink: a 128-bit single-use token, hashed, 60 s, from PUBLIC_URL; audited as the provider with its IP', async (t) => {
  const u = await newUser()
  const l = await link(u.userId, '/client/profile/sessions')
  t.match(l.url, /^http:\/\/panel\.test\/sso\?token=[A-Za-z0-9_-]{22}$/, 'PUBLIC_URL + sso?token=')
  t.equal(new Date(l.expiresAt).getTime(), clock.now().getTime() + 60_000, 'expires in 60 s')
  const row = await tokenRow(l.token)
  t.ok(row !== undefined, 'stored under its SHA-256')
  t.equal(row?.purpose, 'sso')
  t.equal(row?.user_id, u.userId)
  t.same(row?.data, { returnTo: '/client/profile/sessions' }, 'where to go is fixed with the link')
  t.equal(await db.selectFrom('tokens').select('id').where('id', '=', l.token).executeTakeFirst(), undefined, 'never in clear')
  const [created] = await eventsOf(u.userId, 'sso.link_created')
  t.match(created, { actor_user_id: null, target_user_id: u.userId, ip: '203.0.113.9', details: { returnTo: '/client/profile/sessions' } }, 'done by the provider, from the caller\'s IP')
  t.same(await createSsoLink(app.deps, { userId: '999999' }), { ok: false, reason: 'not_found' })
  t.same(await createSsoLink(app.deps, { userId: 'abc' }), { ok: false, reason: 'not_found' })
})

t.test('the page: one button; GET changes nothing, however often; no referrer; then one click signs in', async (t) => {
  const u = await newUser()
  const l = await link(u.userId)
  const a = new Agent(app)
  const sessionsBefore = await allSessions()
  for (let i = 0; i < 5; i++) {
    const page = await a.get(l.path)
    t.equal(page.statusCode, 200)
    t.equal(page.headers['referrer-policy'], 'no-referrer', 'the token goes nowhere as a Referer')
    t.equal(page.headers['cache-control'], 'no-store')
    t.equal([...page.body.matchAll(/<button/g)].length, 1, 'one button')
    t.match(page.body, /<form method="post" action="\/sso">/)
    t.match(page.body, `log in as ${u.email}`, 'names the account it signs into')
  }
  t.equal(await allSessions(), sessionsBefore, 'no session row written by looking')
  t.equal((await tokenRow(l.token))?.used_at, null, 'the link is not used up')
  t.equal((await eventsOf(u.userId, 'login.success')).length, 0)

  const res = await a.post(`${base}sso`, { token: l.token })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, PROFILE, 'no returnTo: the Profile')
  t.equal(res.headers['referrer-policy'], 'no-referrer')
  t.ok(await signedIn(a), 'signed in')
  t.equal(await sessionsOf(u.userId), 1)
  const attempt = await db.selectFrom('login_attempts').select(['success', 'method', 'ip']).where('user_id', '=', u.userId).executeTakeFirstOrThrow()
  t.same(attempt, { success: true, method: 'sso', ip: '127.0.0.1' }, 'the sign-in history says SSO')
  t.match((await eventsOf(u.userId, 'login.success'))[0], { actor_user_id: u.userId, ip: '127.0.0.1', details: { method: 'sso' } }, 'the audit log too')
  t.match((await a.get(`${base}client/profile/sessions`)).body, /<td data-label="Method">Link from the provider<\/td>/, 'and the Sessions page shows it')
  const activity = await (await signIn(ta, owner.email, owner.password)).get(`${base}client/activity?type=signin`)
  t.match(activity.body, `${u.email}) signed in with a one-time link from the provider`, 'the activity log in words')
  t.match(activity.body, `The provider made a one-time sign-in link for Uma User (${u.email})`)
})

t.test('replay: the second use is refused plainly, and audited', async (t) => {
  const u = await newUser()
  const l = await link(u.userId)
  t.equal((await handoff(new Agent(app), l.path)).statusCode, 303)
  const b = new Agent(app)
  await b.get(`${base}login`) // a CSRF token of its own: the refusal is the link's
  const page = await b.get(l.path)
  t.equal(page.statusCode, 404)
  t.match(page.body, 'This sign-in link is not valid')
  t.notMatch(page.body, /<button/, 'no button for a used link')
  const res = await b.post(`${base}sso`, { token: l.token })
  t.equal(res.statusCode, 404)
  t.match(res.body, 'This sign-in link is not valid')
  t.notOk(await signedIn(b), 'not signed in')
  t.equal(await sessionsOf(u.userId), 1, 'only the first browser')
  t.match(await eventsOf(u.userId, 'sso.link_refused'), [{ details: { reason: 'used' }, ip: '127.0.0.1' }])
})

t.test('parallel posts of one link: exactly one signs in', async (t) => {
  const u = await newUser()
  const l = await link(u.userId)
  const agents = Array.from({ length: 6 }, () => new Agent(app))
  for (const a of agents) await a.get(l.path)
  const answers = await Promise.all(agents.map(async (a) => await a.post(`${base}sso`, { token: l.token })))
  t.same(answers.map((r) => r.statusCode).sort(), [303, 404, 404, 404, 404, 404], 'one 303, the others refused')
  t.equal(await sessionsOf(u.userId), 1, 'one session')
  t.equal((await eventsOf(u.userId, 'login.success')).length, 1, 'one sign-in recorded')
})

t.test('expiry: 61 s later the link shows no button and signs nobody in', async (t) => {
  const u = await newUser()
  const l = await link(u.userId)
  const a = new Agent(app)
  const page = await a.get(l.path)
  t.equal(page.statusCode, 200, 'live at first')
  t.ok(a.lastCsrf !== undefined)
  clock.advance(61)
  t.notMatch((await a.get(l.path)).body, /<button/, 'expired: no button')
  const res = await a.post(`${base}sso`, { token: l.token })
  t.equal(res.statusCode, 404)
  t.equal(await sessionsOf(u.userId), 0)
  t.match(await eventsOf(u.userId, 'sso.link_refused'), [{ details: { reason: 'expired' } }])
})

t.test('returnTo: a local path is where the browser lands; anything else is refused when the link is made and when it is used', async (t) => {
  const u = await newUser()
  const l = await link(u.userId, '/client/profile/sessions?x=1')
  const res = await handoff(new Agent(app), l.path)
  t.equal(res.headers.location, '/client/profile/sessions?x=1')
  for (const foreign of ['https://evil.example/', '//evil.example', '/\\evil', '/\\/evil.example', 'javascript:alert(1)', '', '/login']) {
    t.same(await createSsoLink(app.deps, { userId: u.userId, returnTo: foreign }), { ok: false, reason: 'invalid_return_to' }, JSON.stringify(foreign))
  }
  const panel = { ...app.deps, config: { ...config, basePath: '/panel/' } }
  t.same(await createSsoLink(panel, { userId: u.userId, returnTo: '/client/profile' }), { ok: false, reason: 'invalid_return_to' }, 'a path outside BASE_PATH')
  t.same(await createSsoLink(panel, { userId: u.userId, returnTo: '/panel/../client/profile' }), { ok: false, reason: 'invalid_return_to' }, 'dot segments out of BASE_PATH')
  t.equal((await createSsoLink(panel, { userId: u.userId, returnTo: '/panel/client/profile' })).ok, true, 'a path under it')

  // A stored path that is no longer ours (written around createSsoLink): the POST checks it again.
  const token = await issueToken(db, u.userId, 'sso', clock.now(), 60, { returnTo: '//evil.example/' })
  const a = new Agent(app)
  await a.get(`${base}sso?token=${token}`)
  const refused = await a.post(`${base}sso`, { token, return_to: '/client/users' })
  t.equal(refused.statusCode, 404, 'refused plainly')
  t.notOk(await signedIn(a))
  t.match(await eventsOf(u.userId, 'sso.link_refused'), [{ details: { reason: 'return_to' } }])
  // A return_to posted with the form is not read: where to go comes from the link only.
  const l2 = await link(u.userId)
  const b = new Agent(app)
  await b.get(l2.path)
  t.equal((await b.post(`${base}sso`, { token: l2.token, return_to: '/client/users' })).headers.location, PROFILE)
})

t.test('login CSRF: a forged form, even with the attacker\'s own valid CSRF token, signs nobody in and leaves the link usable', async (t) => {
  const u = await newUser()
  const l = await link(u.userId)
  const attacker = new Agent(app)
  await attacker.get(l.path) // the attacker's own page, token and cookie
  const victim = new Agent(app)
  await victim.get(`${base}login`) // the victim has a CSRF secret of their own
  const forged = await victim.post(`${base}sso`, { token: l.token, _csrf: attacker.lastCsrf ?? '' })
  t.equal(forged.statusCode, 403, 'the attacker\'s token does not fit the victim\'s secret')
  const bare = await new Agent(app).post(`${base}sso`, { token: l.token, _csrf: null })
  t.equal(bare.statusCode, 403, 'no token (a cross-site post carries no Lax cookie either)')
  t.notOk(await signedIn(victim))
  t.equal((await tokenRow(l.token))?.used_at, null, 'the link is untouched')
  t.equal((await handoff(new Agent(app), l.path)).statusCode, 303, 'and still works from its own page')
})

t.test('an existing session in the browser ends: its row is gone, the new one is the link\'s user', async (t) => {
  const u = await newUser()
  const a = await signIn(ta, owner.email, owner.password)
  const ownerSessions = await sessionsOf(owner.userId)
  const l = await link(u.userId)
  const page = await a.get(l.path)
  t.match(page.body, `This browser is signed in as ${owner.email} now`)
  const res = await a.post(`${base}sso`, { token: l.token })
  t.equal(res.statusCode, 303)
  t.equal(await sessionsOf(owner.userId), ownerSessions - 1, 'the owner\'s session in this browser is gone')
  t.equal(await sessionsOf(u.userId), 1)
  const profile = await a.get(PROFILE)
  t.match(profile.body, u.email, 'signed in as the link\'s user')
})

function codeAt (key: string, ms: number): string {
  return new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ms })
}

t.test('2FA still applies: the link is a first factor; the second step comes, and the One-time password completes it', async (t) => {
  const u = await newUser()
  const a = await signIn(ta, u.email, u.password)
  const setup = await a.get(`${base}client/settings/two-factor`)
  const key = setup.body.match(/<code id="totp-key">([^<]+)<\/code>/)![1]!.replace(/\s/g, '')
  clock.advance((30_000 - (clock.now().getTime() % 30_000)) / 1000 + 31)
  const enabled = await a.postConfirmed(`${base}client/settings/two-factor`, { code: codeAt(key, clock.now().getTime()) }, u.password)
  t.equal(enabled.statusCode, 200, '2FA on')
  clock.advance(30)

  const l = await link(u.userId, '/client/settings')
  const b = new Agent(app)
  const res = await handoff(b, l.path)
  t.equal(res.headers.location, `${base}login/two-factor`, 'the second step')
  t.notOk(await signedIn(b), 'nothing behind the login between the steps')
  await b.get(`${base}login/two-factor`)
  const done = await b.post(`${base}login/two-factor`, { code: codeAt(key, clock.now().getTime()) })
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, '/client/settings', 'then on to returnTo')
  t.ok(await signedIn(b))
  const success = await eventsOf(u.userId, 'login.success')
  t.match(success.at(-1), { details: { method: 'sso_totp' } }, 'recorded as SSO and a one-time password')
  const attempt = await db.selectFrom('login_attempts').select('method').where('user_id', '=', u.userId).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.equal(attempt.method, 'sso_totp')
})

t.test('a disabled user: no link, and a link made before signs nobody in', async (t) => {
  const u = await newUser()
  const l = await link(u.userId)
  await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', u.userId).execute()
  t.same(await createSsoLink(app.deps, { userId: u.userId }), { ok: false, reason: 'user_disabled' })
  const a = new Agent(app)
  t.notMatch((await a.get(l.path)).body, /<button/, 'no button')
  await a.get(`${base}login`)
  const res = await a.post(`${base}sso`, { token: l.token })
  t.equal(res.statusCode, 403)
  t.match(res.body, 'This sign-in link is not valid')
  t.equal(await sessionsOf(u.userId), 0)
  t.match(await eventsOf(u.userId, 'login.failed'), [{ details: { reason: 'disabled' } }])
  t.equal((await db.selectFrom('login_attempts').select(['success', 'method']).where('user_id', '=', u.userId).executeTakeFirstOrThrow()).method, 'sso')
})

t.test('outside the user\'s IP list: refused as a wrong password is, audited', async (t) => {
  const u = await newUser()
  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['192.0.2.0/24'] }).where('id', '=', u.userId).execute()
  const l = await link(u.userId)
  const a = new Agent(app)
  const res = await handoff(a, l.path)
  t.equal(res.statusCode, 422)
  t.match(res.body, 'Wrong email or password')
  t.notOk(await signedIn(a))
  t.equal(await sessionsOf(u.userId), 0)
  t.equal((await eventsOf(u.userId, 'login.ip_refused')).length, 1)
})

t.test('the link in the request log is redacted', async (t) => {
  const { redactUrl } = await import('../../src/app.ts')
  t.equal(redactUrl('/sso?token=abcdefghijklmnopqrstuv'), '/sso?token=[redacted]')
})

t.test('CLI sso:create: JSON {url, expiresAt}; refusals as JSON on stderr, exit 1', async (t) => {
  const env = { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '', PUBLIC_URL: 'https://panel.example.com/panel', BASE_PATH: '/panel' }
  const u = await newUser()
  const byEmail = await runCli(env, ['sso:create', '--email', u.email.toUpperCase(), '--return-to', '/panel/client/users'])
  t.equal(byEmail.status, 0, byEmail.stderr)
  const out = JSON.parse(byEmail.stdout) as { url: string, expiresAt: string }
  t.match(out.url, /^https:\/\/panel\.example\.com\/panel\/sso\?token=[A-Za-z0-9_-]{22}$/)
  t.ok(Number.isFinite(Date.parse(out.expiresAt)))
  const token = new URL(out.url).searchParams.get('token')!
  t.same((await tokenRow(token))?.data, { returnTo: '/panel/client/users' })
  // The CLI's clock is the real one: the app's test clock goes back to it for the link to be live.
  clock.advance((Date.now() - clock.now().getTime()) / 1000)
  const byId = await runCli(env, ['sso:create', '--id', u.userId])
  t.equal(byId.status, 0, byId.stderr)
  // The link works in the app (whose BASE_PATH is /).
  t.equal((await handoff(new Agent(app), `${base}sso?token=${new URL((JSON.parse(byId.stdout) as { url: string }).url).searchParams.get('token')!}`)).statusCode, 303)

  const cases: Array<[string[], number, RegExp]> = [
    [['sso:create', '--email', 'nobody@example.com'], 1, /^--email: no user has the email nobody@example\.com$/],
    [['sso:create', '--id', '999999'], 1, /^--id: no user has the id 999999$/],
    [['sso:create', '--email', u.email, '--return-to', 'https://evil.example/'], 1, /^--return-to: give a path of this site under \/panel\//],
    [['sso:create', '--email', u.email, '--return-to', '/client/users'], 1, /^--return-to:/],
    [['sso:create', '--email', u.email, '--id', u.userId], 2, /exactly one|--email|--id/],
    [['sso:create'], 2, /--email|--id/]
  ]
  for (const [args, status, message] of cases) {
    const r = await runCli(env, args)
    t.equal(r.status, status, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
    if (status === 1) t.equal(r.error?.code, 'refused')
  }
  await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', u.userId).execute()
  const disabled = await runCli(env, ['sso:create', '--email', u.email])
  t.equal(disabled.status, 1)
  t.match(disabled.stderr, `--email: the user ${u.email} is disabled`)
  t.equal((await eventsOf(u.userId, 'sso.link_created')).length, 2, 'each link audited; no refusal made one')
  t.match(await eventsOf(u.userId, 'sso.link_created'), [{ ip: null, actor_user_id: null }, { ip: null }], 'the CLI has no IP')
})

t.test('under a BASE_PATH: the link, the form and the landing are all under it', async (t) => {
  const panel = await startTestApp(t, { env: { BASE_PATH: '/panel/', PUBLIC_URL: 'https://billing.example.com' } })
  const o = await createOwner(panel, 'based@example.com')
  const r = await createSsoLink(panel.app.deps, { userId: o.userId, returnTo: '/panel/client/settings' })
  if (!r.ok) throw new Error(r.reason)
  t.match(r.url, /^https:\/\/billing\.example\.com\/panel\/sso\?token=[A-Za-z0-9_-]{22}$/)
  const a = new Agent(panel.app, { 'x-forwarded-proto': 'https' })
  const page = await a.get(`/panel/sso${new URL(r.url).search}`)
  t.match(page.body, /<form method="post" action="\/panel\/sso">/)
  const res = await a.post('/panel/sso', { token: new URL(r.url).searchParams.get('token') })
  t.equal(res.statusCode, 303, res.body.slice(0, 200))
  t.equal(res.headers.location, '/panel/client/settings')
})
