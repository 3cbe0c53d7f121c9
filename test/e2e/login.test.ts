// In a real browser with JavaScript off: log in through the form, see the
// profile, log out; a wrong password shows the message.
import path from 'node:path'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, newContext, serveToBrowser } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'e2e@example.com', 'browser test passphrase', 'Erika Endtoend')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)

  t.test('log in, see the profile, log out', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${origin}/client/profile`)
    t.match(page.url(), /\/login\?return_to=%2Fclient%2Fprofile$/, 'sent to the login page')
    await page.getByLabel('Email').fill('E2E@example.com')
    await page.getByLabel('Password').fill(owner.password)
    await page.screenshot({ path: path.join(shots, 'login.png') })
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/profile')
    t.equal(await page.locator('h1').textContent(), 'Profile')
    t.match(await page.locator('main').textContent(), 'e2e@example.com')
    t.match(await page.locator('.topbar').textContent(), 'Signed in as Erika Endtoend')
    t.equal(await page.locator('nav.sidebar a[aria-current="page"]').textContent(), 'Profile')
    await page.screenshot({ path: path.join(shots, 'profile.png'), fullPage: true })

    await page.getByRole('button', { name: 'Log out' }).click()
    t.equal(new URL(page.url()).pathname, '/login')
    await page.goto(`${origin}/client/profile`)
    t.match(page.url(), /\/login/, 'signed out for real')
    await context.close()
  })

  t.test('a wrong password shows the message and keeps the email', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${origin}/login`)
    await page.getByLabel('Email').fill(owner.email)
    await page.getByLabel('Password').fill('not the right one at all')
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(await page.getByRole('alert').textContent(), 'Wrong email or password.')
    t.equal(await page.getByLabel('Email').inputValue(), owner.email)
    t.equal(await page.getByLabel('Password').inputValue(), '')
    await page.screenshot({ path: path.join(shots, 'login-failed.png') })
    await context.close()
  })

  t.test('the page in Russian for a Russian browser', async (t) => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'ru-RU' })
    const page = await context.newPage()
    await page.goto(`${origin}/login`)
    t.equal(await page.locator('h1').textContent(), 'Вход')
    t.ok(await page.getByRole('button', { name: 'Войти' }).isVisible())
    await context.close()
  })
}
