// In a real browser with JavaScript off: the provider's SSO link. Opening it
// shows one button and signs nobody in; the click signs in and lands on the
// Profile, or on the link's returnTo; the used link then shows a plain
// message and no button. The page passes axe-core and fits a 390 px phone.
import t from 'tap'
import { createSsoLink } from '../../src/features/sso/index.ts'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, newContext, serveToBrowser, widthAuditor } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'sso-e2e@example.com', 'sso browser passphrase', 'Sergei Sso')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'sso')

  /** The link as the provider gets it, pointed at the browser's server (PUBLIC_URL is panel.test). */
  async function link (returnTo?: string): Promise<string> {
    const r = await createSsoLink(ta.app.deps, { userId: owner.userId, returnTo })
    if (!r.ok) throw new Error(`createSsoLink: ${r.reason}`)
    const u = new URL(r.url)
    return `${origin}${u.pathname}${u.search}`
  }

  t.test('open the link: one button, nothing signed in yet; click: the Profile; the link then shows a message', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    const url = await link()
    await page.goto(url)
    t.equal(await page.locator('h1').textContent(), 'Log in')
    t.match(await page.locator('main').textContent(), 'log in as sso-e2e@example.com')
    t.equal(await page.locator('main button').count(), 1, 'one button')
    await audit(t, 'button', page)

    const other = await context.newPage()
    await other.goto(`${origin}/client/profile`)
    t.match(other.url(), /\/login\?return_to=/, 'opening the link signed nobody in')
    await other.close()

    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/profile', 'landed on the Profile')
    t.equal(await page.locator('h1').textContent(), 'Profile')
    t.match(await page.locator('.topbar').textContent(), 'Signed in as Sergei Sso')

    await page.goto(url)
    t.match(await page.getByRole('alert').textContent(), 'This sign-in link is not valid')
    t.equal(await page.locator('main button').count(), 0, 'no button for a used link')
    await audit(t, 'used', page)
    await context.close()
  })

  t.test('a link with a returnTo lands there', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(await link('/client/settings'))
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings')
    t.equal(await page.locator('h1').textContent(), 'User settings')
    await context.close()
  })
}
