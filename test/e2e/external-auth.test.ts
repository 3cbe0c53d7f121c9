// In Chromium with JavaScript off, through a real OpenID Connect provider's
// own login and consent pages (oidc-provider's development pages): bind
// Keycloak on the settings page (answering the re-confirmation), log out,
// log in with it from the login page, unbind it.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, launch, logIn, newContext, showsPrompt } from '../helpers/browser.ts'
import { startOidcProvider, writeServicesFile } from '../helpers/identity-provider.ts'
import { reservePort } from '../helpers/listen.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  // The app's PUBLIC_URL (and so the redirect URI the provider registers) must be known before it starts.
  const { port, release } = await reservePort()
  const origin = `http://127.0.0.1:${port}`
  const idp = await startOidcProvider({ redirectUris: [`${origin}/auth/keycloak/callback`], accounts: { erika: { email: 'erika@idp.example', name: 'Erika at Keycloak' } } })
  t.teardown(() => idp.stop())
  const file = writeServicesFile(mkdtempSync(path.join(tmpdir(), 'e2e-extauth-')), [
    { id: 'keycloak', name: 'Keycloak', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }
  ])
  const ta = await startTestApp(t, { env: { AUTH_PROVIDERS_FILE: file, PUBLIC_URL: origin } })
  const owner = await createOwner(ta, 'e2e-ext@example.com', 'browser test passphrase', 'Erika Endtoend')
  await release()
  await ta.app.listen({ port, host: '127.0.0.1' })
  const browser = await launch()
  t.teardown(() => browser.close())
  const shots = path.join('.tap', 'screenshots')

  t.test('bind, log in with the service, unbind', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.goto(`${origin}/client/settings/external-auth`)
    t.match(await page.locator('main').textContent(), 'Not bound')
    await page.getByRole('button', { name: 'Bind Keycloak' }).click()
    t.ok(await showsPrompt(page), 'Bind asks to confirm')
    t.match(await page.locator('main').textContent(), 'bind your Keycloak account')
    await page.getByLabel('Password').fill(owner.password)
    await page.locator('form[data-reconfirm] button[type="submit"]').click()

    // The provider's own pages: its login (any login name is the account), then its consent.
    t.equal(new URL(page.url()).origin, idp.issuer, 'at the provider')
    await page.locator('input[name="login"]').fill('erika')
    await page.locator('input[name="password"]').fill('anything')
    await page.locator('button[type="submit"]').click()
    await page.locator('button[type="submit"]').click()
    t.equal(page.url(), `${origin}/client/settings/external-auth`, 'back on the page')
    t.match(await page.getByRole('status').first().textContent(), 'Keycloak is bound')
    t.match(await page.locator('main').textContent(), 'erika@idp.example')
    await page.screenshot({ path: path.join(shots, 'external-auth-bound.png'), fullPage: true })

    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('button', { name: 'Log in with Keycloak' }).click()
    // Signed in at the provider already, consent given: straight back, signed in.
    t.equal(new URL(page.url()).pathname, '/client/profile', 'signed in')
    t.match(await page.locator('main').textContent(), owner.email)

    await page.goto(`${origin}/client/settings/external-auth`)
    await page.getByRole('button', { name: 'Unbind Keycloak' }).click()
    t.ok(await showsPrompt(page), 'Unbind asks to confirm')
    await page.getByLabel('Password').fill(owner.password)
    await page.locator('form[data-reconfirm] button[type="submit"]').click()
    t.match(await page.getByRole('status').first().textContent(), 'Keycloak is unbound')
    t.match(await page.locator('main').textContent(), 'Not bound')
    await context.close()
  })

  t.test('a callback this browser did not start lands on a page that says so', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    const res = await page.goto(`${origin}/auth/keycloak/callback?code=abc&state=forged`)
    t.equal(res?.status(), 400)
    t.match(await page.getByRole('alert').textContent(), 'does not belong to a sign-in started in this browser')
    await page.getByRole('link', { name: 'Back to the login page' }).click()
    t.equal(new URL(page.url()).pathname, '/login')
    await context.close()
  })
}
