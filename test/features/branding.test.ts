// Branding (APP_NAME, BRAND_LOGO_URL, BRAND_CSS_URL) and framing
// (FRAME_ANCESTORS): what the pages, the CSP and the cookies say in each mode.
// The browser side (a stylesheet that really overrides a variable, a page
// really framed) is in test/e2e/branding.test.ts.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { Agent, createOwner, startTestApp } from '../helpers/app.ts'

const env = { DATA_DIR: '/tmp/cp-branding-config', SESSION_SECRET: 'test-session-secret-of-at-least-32-chars' }

/** The CSP as directive → sources. */
function csp (headers: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const part of String(headers['content-security-policy']).split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name !== undefined && name !== '') out[name] = sources
  }
  return out
}

function setCookies (res: { headers: Record<string, unknown> }): string[] {
  return [res.headers['set-cookie'] ?? []].flat().map(String)
}

/** A Set-Cookie's attributes other than the value, Max-Age and Expires, sorted: 'HttpOnly; Partitioned; Path=/; …'. */
function attrs (cookie: string | undefined): string {
  if (cookie === undefined) return 'no such cookie'
  return cookie.split(';').slice(1).map((a) => a.trim()).filter((a) => !/^(Max-Age|Expires)=/i.test(a)).sort().join('; ')
}
const FRAMED = 'HttpOnly; Partitioned; Path=/; SameSite=None; Secure'

t.test('BRAND_LOGO_URL and BRAND_CSS_URL: https, or http only on loopback, checked at start', async (t) => {
  for (const name of ['BRAND_LOGO_URL', 'BRAND_CSS_URL']) {
    t.throws(() => loadConfig({ ...env, [name]: 'http://cdn.example.com/x' }), ConfigError, `${name}: plain http to another host is refused`)
    t.throws(() => loadConfig({ ...env, [name]: 'ftp://cdn.example.com/x' }), ConfigError)
    t.throws(() => loadConfig({ ...env, [name]: 'not a url' }), ConfigError)
    t.throws(() => loadConfig({ ...env, [name]: 'https://user:pw@cdn.example.com/x' }), ConfigError)
    t.throws(() => loadConfig({ ...env, [name]: 'javascript:alert(1)' }), ConfigError)
    t.equal(loadConfig({ ...env, [name]: 'https://cdn.example.com/x' })[name === 'BRAND_LOGO_URL' ? 'brandLogoUrl' : 'brandCssUrl']?.toString(), 'https://cdn.example.com/x')
    for (const local of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]:9/x']) {
      t.ok(loadConfig({ ...env, [name]: local }), `${name}: ${local} is allowed`)
    }
  }
  const message = (() => { try { loadConfig({ ...env, BRAND_CSS_URL: 'http://cdn.example.com/b.css' }) } catch (err) { return (err as Error).message } })()
  t.match(message, /^BRAND_CSS_URL: must be an https URL/)
})

t.test('the product stylesheet takes every colour from variables defined once in :root', async (t) => {
  const css = readFileSync('public/app.css', 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
  const root = css.match(/:root\s*\{([^}]*)\}/)
  t.ok(root, 'a :root block')
  const rest = css.replace(root![0], '')
  const literals = rest.match(/#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|:\s*(?:white|black|red|green|blue|gray|grey|silver|navy|orange|yellow|purple)\b/g)
  t.same(literals, null, 'no literal colour outside :root')
  const defined = new Set([...root![1]!.matchAll(/(--[\w-]+)\s*:/g)].map((m) => m[1]))
  const used = new Set([...rest.matchAll(/var\((--[\w-]+)\)/g)].map((m) => m[1]))
  t.same([...used].filter((v) => !defined.has(v)), [], 'every variable used is defined')
  t.same([...defined].filter((v) => !used.has(v) && !root![1]!.includes(`var(${v})`)), [], 'every variable defined is used')
})

t.test('default: the name in the title and the header, no brand origins in the CSP, framing denied, Lax cookies', async (t) => {
  const ta = await startTestApp(t, { env: { APP_NAME: 'Acme Hosting' } })
  const owner = await createOwner(ta)
  const a = new Agent(ta.app)
  const login = await a.get('/login')
  t.match(login.body, /<title>[^<]* · Acme Hosting<\/title>/)
  t.match(login.body, '<a class="brand" href="/">Acme Hosting</a>')
  t.notMatch(login.body, /<img[^>]+class="brand|brand-logo/)
  t.equal(login.body.match(/rel="stylesheet"/g)?.length, 1, 'only the product stylesheet')
  const policy = csp(login.headers)
  t.same(policy['img-src'], ["'self'", 'data:'])
  t.same(policy['style-src'], ["'self'"])
  t.same(policy['frame-ancestors'], ["'none'"])
  t.equal(login.headers['x-frame-options'], 'DENY', 'X-Frame-Options agrees with frame-ancestors')
  for (const c of setCookies(login)) {
    t.match(c, /SameSite=Lax/)
    t.notMatch(c, /Partitioned|SameSite=None/)
  }
  const res = await a.post('/login', { email: owner.email, password: owner.password })
  t.equal(res.statusCode, 303)
  const session = setCookies(res).find((c) => c.startsWith('sid='))
  t.match(session, /HttpOnly; SameSite=Lax$/, 'the session cookie as before (no Secure over http PUBLIC_URL)')
  await a.get('/client/profile')
  const lang = await a.post('/language', { lang: 'ru', return_to: '/client/profile' })
  t.equal(attrs(setCookies(lang).find((c) => c.startsWith('lang='))), 'HttpOnly; Path=/; SameSite=Lax')
})

t.test("FRAME_ANCESTORS 'self' only: SAMEORIGIN, cookies stay Lax", async (t) => {
  const ta = await startTestApp(t, { env: { FRAME_ANCESTORS: "'self'" } })
  const res = await ta.app.inject({ url: '/login' })
  t.same(csp(res.headers)['frame-ancestors'], ["'self'"])
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  for (const c of setCookies(res)) t.match(c, /SameSite=Lax/)
})

t.test('branded and framed: the logo, the brand stylesheet after ours, exactly those origins in the CSP, SameSite=None; Secure; Partitioned on every cookie', async (t) => {
  const ta = await startTestApp(t, {
    env: {
      PUBLIC_URL: 'https://panel.example.net',
      TRUST_PROXY: '127.0.0.1',
      APP_NAME: 'Acme <Hosting>',
      BRAND_LOGO_URL: 'https://cdn.acme.example/img/logo.svg?v=2',
      BRAND_CSS_URL: 'https://assets.acme.example:8443/brand.css',
      FRAME_ANCESTORS: 'https://billing.acme.example https://*.acme.example'
    }
  })
  const owner = await createOwner(ta)
  const a = new Agent(ta.app, { 'x-forwarded-proto': 'https' })
  const login = await a.get('/login')
  t.match(login.body, '<img src="https://cdn.acme.example/img/logo.svg?v=2" alt="Acme &lt;Hosting&gt;">', 'the logo with the name as its alt text, escaped')
  t.match(login.body, /<title>[^<]* · Acme &lt;Hosting&gt;<\/title>/)
  const sheets = [...login.body.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1])
  t.same(sheets, ['/static/app.css', 'https://assets.acme.example:8443/brand.css'], "the brand stylesheet comes after the product's own")
  const policy = csp(login.headers)
  t.same(policy['img-src'], ["'self'", 'data:', 'https://cdn.acme.example'], "img-src adds the logo's origin, nothing more")
  t.same(policy['style-src'], ["'self'", 'https://assets.acme.example:8443'], "style-src adds the stylesheet's origin, nothing more")
  t.same(policy['default-src'], ["'self'"])
  t.same(policy['script-src'], ["'none'"])
  t.same(policy['frame-ancestors'], ['https://billing.acme.example', 'https://*.acme.example'])
  t.equal(login.headers['x-frame-options'], undefined, 'no X-Frame-Options to contradict frame-ancestors')
  const csrf = setCookies(login)
  t.equal(csrf.length, 1)
  t.match(csrf[0], /^__Host-csrf=/)
  t.equal(attrs(csrf[0]), FRAMED)

  const res = await a.post('/login', { email: owner.email, password: owner.password })
  t.equal(res.statusCode, 303)
  const cookies = setCookies(res)
  t.equal(attrs(cookies.find((c) => c.startsWith('__Host-sid='))), FRAMED, 'the session cookie')
  t.equal(attrs(cookies.find((c) => c.startsWith('__Host-csrf='))), FRAMED, 'the renewed CSRF cookie')
  const profile = await a.get('/client/profile')
  t.equal(profile.statusCode, 200, 'the session works')
  t.match(profile.body, 'alt="Acme &lt;Hosting&gt;"')

  const signedOut = await a.post('/logout', {})
  t.equal(signedOut.statusCode, 303)
  const cleared = setCookies(signedOut)
  t.ok(cleared.length >= 2)
  for (const c of cleared) {
    t.match(c, /Expires=Thu, 01 Jan 1970/)
    t.equal(attrs(c), 'Partitioned; Path=/; SameSite=None; Secure', 'cleared in the same partition')
  }

  const anon = new Agent(ta.app, { 'x-forwarded-proto': 'https' })
  await anon.get('/login')
  const chosen = await anon.post('/language', { lang: 'ru', return_to: '/login' })
  t.equal(attrs(setCookies(chosen).find((c) => c.startsWith('lang='))), FRAMED, 'the language cookie')

  const css = await ta.app.inject({ url: '/static/app.css' })
  t.same(csp(css.headers)['style-src'], ["'self'", 'https://assets.acme.example:8443'], 'static files carry the same policy')
})

t.test('FRAME_ANCESTORS naming only the panel itself is no cross-site framing: cookies stay Lax', async (t) => {
  const ta = await startTestApp(t, { env: { PUBLIC_URL: 'https://panel.example.net', FRAME_ANCESTORS: "https://panel.example.net 'self'" } })
  const res = await ta.app.inject({ url: '/login', headers: { 'x-forwarded-proto': 'https' } })
  t.same(csp(res.headers)['frame-ancestors'], ['https://panel.example.net', "'self'"])
  t.equal(res.headers['x-frame-options'], undefined)
  for (const c of setCookies(res)) t.match(c, /SameSite=Lax/)
})
