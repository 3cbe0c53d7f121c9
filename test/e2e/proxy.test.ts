// The service as production runs it: BASE_PATH=/account behind a real nginx
// (Debian's, started here on loopback with its own configuration, pid,
// logs and temporary folders, as this user) that ends TLS (a certificate
// made for the run; PUBLIC_URL is https) with TRUST_PROXY set, in front
// of TWO instances of src/server.ts, separate processes on one PostgreSQL
// database, sharing SESSION_SECRET and nothing else (each its own DATA_DIR).
// In Chromium with JavaScript off, each flow crosses from one instance to
// the other, and nginx's X-Upstream says which served each request:
// - sign-in: the login form from A, posted to B, the Profile from A;
// - the sign-in throttle: wrong passwords alternating between the instances
//   count together, and the lock holds on both;
// - a re-confirmation prompted by A and confirmed on B completes the change;
// - a phone code sent by B and typed on A verifies the phone;
// every page's links and every redirect stay under /account/, nothing is
// asked of nginx outside it, and the audit log has the browser's address
// from X-Forwarded-For (not nginx's, not one the browser made up); the
// cookies are Secure and the pages carry HSTS. Then the
// tour of every page (test/helpers/tour.ts) runs through nginx's balanced
// port, its requests spread over both instances in turn. Last, both
// instances close on SIGTERM with exit code 0, having logged no error.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { BrowserContext, Page, Request } from 'playwright-core'
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import { HOURLY_LIMIT, MAX_BACKOFF_SECONDS } from '../../src/features/auth/throttle.ts'
import { createAccount } from '../../src/features/provider/index.ts'
import { hashPassword } from '../../src/lib/passwords.ts'
import { browserMissing, launch, showsPrompt } from '../helpers/browser.ts'
import { createTestDatabase } from '../helpers/db.ts'
import { nginxMissing, providerDeps, startInstance, startNginx, workDir } from '../helpers/proxy.ts'
import { TestSmsGateway } from '../helpers/sms-gateway.ts'
import { TestSmtp } from '../helpers/smtp.ts'
import { TOUR_ENV, tour } from '../helpers/tour.ts'

const BASE = '/account/'
/** What a browser sends as its own X-Forwarded-For: nginx appends the real address, and the service must not believe this one. */
const SPOOFED = '198.51.100.7'

const missing = browserMissing() ?? nginxMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  // Two instances starting under tsx, then the tour: longer than tap's default.
  t.setTimeout(10 * 60 * 1000)
  const dir = workDir(t)
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const smtp = await TestSmtp.started(t)
  const gateway = new TestSmsGateway()
  await gateway.start()
  t.teardown(() => gateway.stop())

  const health = `${BASE}healthz`
  // nginx first, so that PUBLIC_URL can name its port; then the instances, and nginx is pointed at them.
  const nginx = await startNginx(t, dir, BASE, health)
  // What instances of one service must share: the database and SESSION_SECRET (sessions, CSRF cookies and every key derived from it), the same BASE_PATH, PUBLIC_URL and catalogs.
  const shared = {
    ...TOUR_ENV,
    DATABASE_URL: database.url,
    SESSION_SECRET: 'proxy-test-session-secret-shared-by-both-instances',
    BASE_PATH: '/account',
    PUBLIC_URL: `${nginx.balancedOrigin}/account/`,
    TRUST_PROXY: nginx.bindAddress,
    SMTP_URL: smtp.url,
    SMS_WEBHOOK_URL: gateway.url,
    SMS_WEBHOOK_TOKEN: 'proxy-test-sms-token',
    DELIVERY_RETRY_DELAY_SECONDS: '1',
    LOG_LEVEL: 'warn'
  }
  const [a, b] = await Promise.all([
    startInstance(t, dir, 'a', { ...shared, DATA_DIR: path.join(dir, 'data-a') }, health),
    startInstance(t, dir, 'b', { ...shared, DATA_DIR: path.join(dir, 'data-b') }, health)
  ])
  await nginx.proxyTo({ a, b })
  /** nginx's access log from here on (before, its 502s while the instances started). */
  const accessFrom = readFileSync(nginx.accessLog, 'utf8').split('\n').length - 1
  const accessLines = (): string[] => readFileSync(nginx.accessLog, 'utf8').split('\n').slice(accessFrom).filter(Boolean)
  const upstream = { a: a.address, b: b.address }
  const origin = nginx.origin
  const deps = await providerDeps(t, loadConfig({ ...shared, DATA_DIR: path.join(dir, 'data-provider') }))
  const db = deps.db
  const browser = await launch()
  t.teardown(() => browser.close())

  const password = 'proxy test passphrase'
  const created = await createAccount(deps, { email: 'olga@example.com', name: 'Olga Owner', password })
  if (!created.ok) throw new Error(`createAccount: ${created.reason}`)

  /** One navigation step as the browser saw it: what was asked, who answered (X-Upstream) and where it was sent on. */
  interface Hop { method: string, path: string, status: number, upstream: string | undefined, location: string | undefined }

  type Steer = { GET: 'a' | 'b', POST: 'a' | 'b' }

  /**
   * A browser context whose requests go to the instances `steer(page, …)`
   * names for GET and for POST (set before each step; every request, the
   * redirects included, carries both), each with a made-up X-Forwarded-For;
   * `hops` lists the main frame's navigation answers, redirects included.
   */
  async function steeredContext (): Promise<{ context: BrowserContext, page: Page, hops: Hop[] }> {
    // nginx's certificate is the run's own, trusted by nothing: the context is told to take it (the pages are still a secure context).
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 720 }, ignoreHTTPSErrors: true })
    const page = await context.newPage()
    const hops: Hop[] = []
    page.on('response', (response) => {
      const request: Request = response.request()
      if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return
      const headers = response.headers()
      hops.push({ method: request.method(), path: new URL(response.url()).pathname, status: response.status(), upstream: headers['x-upstream'], location: headers.location })
    })
    t.teardown(() => context.close())
    return { context, page, hops }
  }

  async function steer (page: Page, to: Steer): Promise<void> {
    await page.setExtraHTTPHeaders({ 'x-get-instance': to.GET, 'x-post-instance': to.POST, 'x-forwarded-for': SPOOFED })
  }

  /** The hops since `from`, as "METHOD path status upstream". */
  const since = (hops: Hop[], from: number): string[] => hops.slice(from).map((h) => `${h.method} ${h.path} ${h.status} ${h.upstream ?? '-'}`)

  /** Every link, form, stylesheet and image of the page that points into this site, which must be under BASE. */
  async function linksOutsideBase (page: Page): Promise<string[]> {
    const html = await page.content()
    const here = new URL(page.url())
    const outside: string[] = []
    for (const [, attr = '', value = ''] of html.matchAll(/\s(href|action|src|formaction)="([^"]*)"/g)) {
      const raw = value.replace(/&amp;/g, '&')
      if (raw.startsWith('#') || raw.startsWith('data:') || raw.startsWith('mailto:')) continue
      const u = new URL(raw, here)
      if (u.host !== here.host) continue
      if (!u.pathname.startsWith(BASE)) outside.push(`${attr}="${raw}"`)
    }
    return outside
  }

  const owner = await steeredContext()

  t.test('sign-in: the login form from instance A, posted to B, the Profile from A', async (t) => {
    const { page, hops } = owner
    await steer(page, { GET: 'a', POST: 'b' })
    await page.goto(`${origin}${BASE}`)
    t.same(since(hops, 0), [`GET ${BASE} 303 ${upstream.a}`, `GET ${BASE}login 200 ${upstream.a}`], 'the root of /account/ leads to its login page')
    await page.goto(`${origin}${BASE}client/profile`)
    t.equal(new URL(page.url()).pathname, `${BASE}login`, 'sent to the login page under /account/')
    t.same(await linksOutsideBase(page), [], 'the login page links only under /account/')
    await page.getByLabel('Email').fill('olga@example.com')
    await page.getByLabel('Password').fill(password)
    const before = hops.length
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await page.waitForLoadState()
    t.equal(await page.locator('h1').textContent(), 'Profile')
    t.same(since(hops, before), [
      `POST ${BASE}login 303 ${upstream.b}`,
      `GET ${BASE}client/profile 200 ${upstream.a}`
    ], 'posted to B, which signed in; the Profile served by A with the session B started')
    t.equal(hops[before]!.location, `${BASE}client/profile`, 'the redirect stays under /account/')
    t.match(await page.locator('.topbar').textContent(), 'Signed in as Olga Owner')
    t.same(await linksOutsideBase(page), [], 'the Profile links only under /account/')
    const first = hops.find((h) => h.path === `${BASE}client/profile` && h.status !== 200)
    t.equal(first?.location?.startsWith(`${BASE}login`), true, 'the redirect to the login page stays under /account/')

    // The address: the browser's as nginx saw it (X-Forwarded-For from a TRUST_PROXY peer), neither nginx's own nor the one the browser made up.
    const signIn = await db.selectFrom('audit_log').select(['ip']).where('actor_user_id', '=', created.userId).where('action', '=', 'login.success').execute()
    t.same(signIn.map((e) => e.ip), ['127.0.0.1'], 'the audit log has the client address from X-Forwarded-For')
    const attempts = await db.selectFrom('login_attempts').select(['ip', 'success']).where('user_id', '=', created.userId).execute()
    t.same(attempts, [{ ip: '127.0.0.1', success: true }], 'so has the sign-in history')
    const session = await db.selectFrom('sessions').select('ip').where('user_id', '=', created.userId).execute()
    t.same(session.map((s) => s.ip), ['127.0.0.1'], 'and the session')
    t.not(nginx.bindAddress, '127.0.0.1', 'nginx connects from another address than the browser')
  })

  t.test('TLS ends at nginx: the cookies are Secure and the pages carry HSTS, from the https PUBLIC_URL', async (t) => {
    const cookies = await owner.context.cookies()
    const byName = new Map(cookies.map((c) => [c.name, c]))
    for (const name of ['sid', 'csrf']) {
      t.match(byName.get(name), { secure: true, httpOnly: true, sameSite: 'Lax', path: BASE }, `${name}: Secure, HttpOnly, Lax, under /account/`)
    }
    const login = await nginx.get(`${origin}${BASE}login`)
    t.equal(login.status, 200)
    t.equal(login.headers['strict-transport-security'], 'max-age=31536000', 'HSTS on a page')
    t.match(String(login.headers['set-cookie']), /; Secure/, 'the anonymous CSRF cookie is Secure')
  })

  t.test('the sign-in throttle: failures on either instance count together, the lock holds on both', async (t) => {
    const victim = { email: 'tina@example.com', password: 'tina the right passphrase' }
    await db.insertInto('users').values({ account_id: created.accountId, email: victim.email, full_name: 'Tina Throttled', password_hash: await hashPassword(victim.password) }).execute()
    const { page, hops } = await steeredContext()
    await page.goto(`${origin}${BASE}login`)
    const attempt = async (on: 'a' | 'b', pass: string): Promise<Hop> => {
      await steer(page, { GET: on, POST: on })
      await page.getByLabel('Email').fill(victim.email)
      await page.getByLabel('Password').fill(pass)
      const before = hops.length
      await page.getByRole('button', { name: 'Log in', exact: true }).click()
      await page.waitForLoadState()
      return hops[before]!
    }
    const counter = async () => await db.selectFrom('limit_counters').select(['count', 'failures']).where('kind', '=', 'login.email').where('key', '=', victim.email).executeTakeFirst()

    // The free failures (SECURITY.md: 5 an hour), alternating.
    for (const [i, on] of (['a', 'b', 'a', 'b', 'a'] as const).entries()) {
      const hop = await attempt(on, `wrong password number ${i}`)
      t.equal(hop.upstream, upstream[on], `failure ${i + 1} answered by instance ${on}`)
      t.equal(await page.getByRole('alert').textContent(), 'Wrong email or password.')
    }
    t.same(await counter(), { count: 5, failures: 5 }, 'the five failures, three on A and two on B, are one count')

    // The rest of the hour's failures: each of them waits out a back-off
    // of up to MAX_BACKOFF_SECONDS after the one before, which would take
    // an hour here. The counter is put where they would have left it
    // (the last one more than a back-off ago), then the last allowed
    // failure is made on B and the right password is tried on A and on B.
    const now = Date.now()
    await db.updateTable('limit_counters').set({
      count: HOURLY_LIMIT - 1,
      failures: HOURLY_LIMIT - 1,
      window_start: new Date(now - 20 * 60_000),
      last_at: new Date(now - (MAX_BACKOFF_SECONDS + 60) * 1000)
    }).where('kind', '=', 'login.email').where('key', '=', victim.email).execute()
    const last = await attempt('b', 'the last wrong password')
    t.equal(last.upstream, upstream.b)
    t.same(await counter(), { count: HOURLY_LIMIT, failures: HOURLY_LIMIT }, `instance B counted the ${HOURLY_LIMIT}th failure`)
    for (const on of ['a', 'b'] as const) {
      const hop = await attempt(on, victim.password)
      t.equal(hop.upstream, upstream[on])
      t.equal(await page.getByRole('alert').textContent(), 'Wrong email or password.', `the right password is refused on instance ${on}, with a wrong password's message`)
      t.equal(new URL(page.url()).pathname, `${BASE}login`, 'not signed in')
    }
    const history = await db.selectFrom('login_attempts').select(['success', 'throttled', 'ip']).where('email', '=', victim.email).orderBy('id').execute()
    t.same(history.slice(-2), [{ success: false, throttled: true, ip: '127.0.0.1' }, { success: false, throttled: true, ip: '127.0.0.1' }], 'both refusals are recorded as throttled, with the client address')
    t.same(await counter(), { count: HOURLY_LIMIT, failures: HOURLY_LIMIT }, 'the refusals count no further')
  })

  t.test('a re-confirmation prompted by A and confirmed on B completes the change', async (t) => {
    const { page, hops } = owner
    await steer(page, { GET: 'a', POST: 'a' })
    await page.goto(`${origin}${BASE}client/profile`)
    await page.getByRole('textbox', { name: 'Phone number' }).fill('+44 7911 123456')
    let before = hops.length
    await page.locator(`form[action="${BASE}client/profile/phone"]`).getByRole('button', { name: 'Save' }).click()
    await page.waitForLoadState()
    t.ok(await showsPrompt(page), 'the prompt')
    t.same(since(hops, before), [`POST ${BASE}client/profile/phone 200 ${upstream.a}`], 'from instance A')
    t.same(await linksOutsideBase(page), [], 'the prompt posts and links only under /account/')
    await steer(page, { GET: 'a', POST: 'b' })
    await page.getByLabel('Password').fill(password)
    before = hops.length
    await page.getByRole('button', { name: 'Confirm' }).click()
    await page.waitForLoadState()
    t.same(since(hops, before), [
      `POST ${BASE}client/profile/phone 303 ${upstream.b}`,
      `GET ${BASE}client/profile 200 ${upstream.a}`
    ], 'confirmed on instance B, the result shown by A')
    t.equal(hops[before]!.location?.startsWith(`${BASE}client/profile`), true, 'sent back under /account/')
    t.match(await page.getByRole('status').textContent(), 'saved')
    t.match(await page.locator('#phone').textContent(), 'Not verified')
    const user = await db.selectFrom('users').select(['phone', 'phone_verified']).where('id', '=', created.userId).executeTakeFirstOrThrow()
    t.same(user, { phone: '+447911123456', phone_verified: false }, 'the number the prompt carried is saved')
  })

  t.test('a phone code sent by B and typed on A verifies the phone', async (t) => {
    const { page, hops } = owner
    await steer(page, { GET: 'a', POST: 'b' })
    let before = hops.length
    await page.locator('#phone').getByRole('button', { name: 'Verify', exact: true }).click()
    await page.waitForLoadState()
    t.notOk(await showsPrompt(page), 'confirmed a moment ago on B: no prompt')
    t.same(since(hops, before), [
      `POST ${BASE}client/profile/phone/verification 303 ${upstream.b}`,
      `GET ${BASE}client/profile 200 ${upstream.a}`
    ], 'Verify posted to B, the code step shown by A')
    t.match(await page.getByRole('status').textContent(), 'A code is on its way to +44 7911 123456')
    const code = await gateway.codeFor('+447911123456')
    t.equal(gateway.received.at(-1)?.authorization, 'Bearer proxy-test-sms-token')
    await steer(page, { GET: 'b', POST: 'a' })
    await page.getByLabel('Verification code').fill(code)
    before = hops.length
    await page.locator('form.code-step').getByRole('button', { name: 'Verify' }).click()
    await page.waitForLoadState()
    t.same(since(hops, before), [
      `POST ${BASE}client/profile/phone/verification/check 303 ${upstream.a}`,
      `GET ${BASE}client/profile 200 ${upstream.b}`
    ], 'the code posted to A, the result shown by B')
    t.match(await page.locator('#phone').textContent(), 'Verified successfully')
    const user = await db.selectFrom('users').select(['phone_verified']).where('id', '=', created.userId).executeTakeFirstOrThrow()
    t.equal(user.phone_verified, true)
    t.same(await linksOutsideBase(page), [], 'the Profile links only under /account/')
  })

  // Each page as the tour shows it: where it is and where it links and
  // posts; its stylesheet and images fetched under /account/ (nginx's log,
  // below). Not axe-core nor the widths: test/e2e/pages-en.test.ts audits
  // the same markup, and here it would triple the file's time.
  t.test('every page, through the balanced port: both instances serve the tour', async (t) => {
    const accessBefore = accessLines().length
    const seen: string[] = []
    await tour({ app: { deps }, clock: { now: () => new Date() } }, browser, `${nginx.balancedOrigin}/account`, 'en', async (name, page) => {
      seen.push(name)
      t.equal(new URL(page.url()).pathname.startsWith(BASE), true, `${name}: under /account/ (${page.url()})`)
      t.same(await linksOutsideBase(page), [], `${name}: links only under /account/`)
    })
    t.ok(seen.length >= 30, `${seen.length} pages visited`)
    const lines = accessLines().slice(accessBefore)
    const served = new Set(lines.map((l) => l.split(' upstream=')[1]))
    t.ok(served.has(upstream.a) && served.has(upstream.b), `the tour was served by both instances (${[...served].join(', ')})`)
  })

  t.test('nothing was asked of nginx outside /account/, nor answered with a server error', async (t) => {
    const lines = accessLines()
    t.ok(lines.length > 50, `${lines.length} requests`)
    t.same(lines.filter((l) => !l.split(' ')[1]!.startsWith(BASE)), [], 'every request under /account/')
    t.same(lines.filter((l) => /^\S+ \S+ 5\d\d /.test(l)), [], 'no 5xx')
    // 499 is nginx's note that the browser gave up on a request before its
    // answer (the favicon of a page the tour left at once, on a busy
    // machine): no answer of ours to check.
    const assets = lines.filter((l) => (l.split(' ')[1]!.startsWith(`${BASE}static/`) || l.split(' ')[1]!.startsWith(`${BASE}avatars/`)) && !/^\S+ \S+ 499 /.test(l))
    t.ok(assets.length > 0, `${assets.length} stylesheet and image requests answered`)
    t.same(assets.filter((l) => !/^\S+ \S+ (200|304) /.test(l)), [], 'each stylesheet and image found under /account/')
  })

  t.test('nginx and both instances close on SIGTERM, the instances having logged no error', async (t) => {
    t.equal(await nginx.stop(), 0, 'nginx')
    for (const instance of [a, b]) {
      t.equal(await instance.stop(), 0, `instance ${instance.name} exits with 0`)
      // pino's JSON lines: level 50 is error, 60 fatal.
      const errors = readFileSync(instance.log, 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l))
      t.same(errors, [], `instance ${instance.name} logged no error`)
    }
  })
}
