// In Chromium: a provider's stylesheet (BRAND_CSS_URL), served by a loopback
// server, really restyles the page through the CSS variables, and the logo
// (BRAND_LOGO_URL) shows; a page on another site frames the panel when
// FRAME_ANCESTORS names it, and cannot when it does not.
// The framing page is on http://localhost:<port>, the panel on
// http://127.0.0.1:<port>: two different sites for the browser.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, launch, newContext } from '../helpers/browser.ts'

const BRAND_COLOUR = 'rgb(107, 29, 138)' // #6b1d8a, not the product's --brand

/** The provider's side: the brand stylesheet, the logo, and a page that frames the panel at `panel`. */
async function providerServer (t: { teardown: (fn: () => unknown) => void }): Promise<{ port: number, setPanel: (url: string) => void }> {
  const logo = await sharp({ create: { width: 120, height: 32, channels: 3, background: '#6b1d8a' } }).png().toBuffer()
  let panel = ''
  const server = http.createServer((req, res) => {
    if (req.url === '/brand.css') {
      res.writeHead(200, { 'content-type': 'text/css' })
      res.end(':root { --brand: #6b1d8a; --brand-dark: #4e1566; }\n')
    } else if (req.url === '/logo.png') {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(logo)
    } else if (req.url === '/billing') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(`<!doctype html><title>Billing</title><h1>Billing</h1><iframe title="Client area" src="${panel}" width="900" height="600"></iframe>`)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as AddressInfo).port, setPanel: (url) => { panel = url } }
}

async function listen (app: { listen: (o: { port: number, host: string }) => Promise<unknown>, server: { address: () => unknown } }): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const provider = await providerServer(t)
  const billing = `http://localhost:${provider.port}`
  const ta = await startTestApp(t, {
    env: {
      APP_NAME: 'Acme Hosting',
      BRAND_CSS_URL: `http://127.0.0.1:${provider.port}/brand.css`,
      BRAND_LOGO_URL: `http://127.0.0.1:${provider.port}/logo.png`,
      FRAME_ANCESTORS: billing
    }
  })
  const origin = await listen(ta.app)
  const browser = await launch()
  t.teardown(() => browser.close())

  t.test('the brand stylesheet overrides a variable: the computed colours change; the logo shows with the name as alt text', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    const blocked: string[] = []
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()) })
    const res = await page.goto(`${origin}/login`)
    const policy = String(res?.headers()['content-security-policy'])
    t.match(policy, `style-src 'self' http://127.0.0.1:${provider.port};`)
    t.match(policy, `img-src 'self' data: http://127.0.0.1:${provider.port};`)
    t.equal(await page.locator('.topbar').evaluate((el) => getComputedStyle(el).backgroundColor), BRAND_COLOUR, 'the header takes the brand colour')
    t.equal(await page.locator('button.primary').evaluate((el) => getComputedStyle(el).backgroundColor), BRAND_COLOUR, 'so does the primary button')
    const logo = page.getByRole('img', { name: 'Acme Hosting' })
    t.equal(await logo.count(), 1, 'the logo, named by its alt text')
    t.equal(await logo.evaluate((img) => (img as HTMLImageElement).naturalWidth), 120, 'the logo loaded (the CSP lets its origin in)')
    t.same(blocked, [], 'nothing blocked by the CSP')
    await context.close()
  })

  t.test('without the brand stylesheet the same element keeps the product colour', async (t) => {
    const plain = await startTestApp(t)
    const plainOrigin = await listen(plain.app)
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${plainOrigin}/login`)
    t.equal(await page.locator('.topbar').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(31, 95, 168)')
    await context.close()
  })

  t.test('a page of the site FRAME_ANCESTORS names frames the panel; its cookies are None, Secure, Partitioned', async (t) => {
    provider.setPanel(`${origin}/login`)
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${billing}/billing`)
    const frame = page.frameLocator('iframe')
    await frame.getByLabel('Email').waitFor()
    t.equal(await frame.getByRole('button', { name: 'Log in', exact: true }).count(), 1, 'the login form shows inside the frame')
    // Chromium treats http://127.0.0.1 as a secure context: the Secure,
    // Partitioned CSRF cookie set over plain http is kept, in the partition
    // of the framing site.
    const cookies = await context.cookies(origin)
    const csrf = cookies.find((c) => c.name === 'csrf')
    t.ok(csrf, 'the CSRF cookie is stored for the framed panel')
    t.equal(csrf?.sameSite, 'None')
    t.equal(csrf?.secure, true)
    t.equal((csrf as { partitionKey?: string } | undefined)?.partitionKey, 'http://localhost', "in the framing site's partition (a site: no port)")
    // Signing in inside the frame over plain http: the session cookie is
    // Secure, and @fastify/session sends a Secure cookie only on an https
    // request, so no session starts; framing needs PUBLIC_URL on https
    // (behind the TLS proxy, TRUST_PROXY set), as SameSite=None needs anyway.
    const inner = page.frames().find((f) => f !== page.mainFrame())!
    await inner.getByLabel('Email').fill('nobody@example.com')
    await inner.getByLabel('Password').fill('not the right one at all')
    await inner.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(await inner.getByRole('alert').textContent(), 'Wrong email or password.', 'a form posted inside the frame passes the CSRF check: the partitioned cookie came back')
    const owner = await createOwner(ta, 'framed@example.com')
    await inner.getByLabel('Email').fill(owner.email)
    await inner.getByLabel('Password').fill(owner.password)
    await inner.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(inner.url()).pathname, '/login', 'over plain http the framed sign-in ends on the login page again')
    t.same((await context.cookies(origin)).map((c) => c.name), ['csrf'], 'no session cookie was sent (Secure, on an http request)')
    await context.close()
  })

  t.test('without FRAME_ANCESTORS the browser refuses to frame the panel', async (t) => {
    const plain = await startTestApp(t)
    const plainOrigin = await listen(plain.app)
    const direct = await fetch(`${plainOrigin}/login`)
    t.match(String(direct.headers.get('content-security-policy')), "frame-ancestors 'none'")
    t.equal(direct.headers.get('x-frame-options'), 'DENY')
    provider.setPanel(`${plainOrigin}/login`)
    const context = await newContext(browser)
    const page = await context.newPage()
    const refused = page.waitForEvent('console', { predicate: (m) => /frame-ancestors|X-Frame-Options/.test(m.text()), timeout: 60_000 }).then((m) => m.text(), () => 'no message')
    await page.goto(`${billing}/billing`)
    t.match(await refused, /frame-ancestors/, 'Chromium reports the refusal')
    const frame = page.frames().find((f) => f !== page.mainFrame())
    t.equal(await frame?.locator('input[name="email"]').count(), 0, 'no login form in the frame')
    await context.close()
  })
}
