// In a real browser with JavaScript off: enable 2FA by reading the key from
// the page and computing the code, sign out, sign in with a code, sign in
// with a recovery code.
import path from 'node:path'
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, newContext, serveToBrowser, showsPrompt } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  // The app's clock is the test's: each code is for a time step of its own,
  // reached by moving the clock, never by waiting for the wall clock.
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'totp@example.com', 'totp browser passphrase', 'Tina Totp')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  /** A code for a step not used yet. */
  function freshCode (key: string): string {
    ta.clock.advance(30)
    return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ta.clock.now().getTime() })
  }

  t.test('enable, sign out, sign in with a code, sign in with a recovery code', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    const logIn = async () => {
      await page.goto(`${origin}/login`)
      await page.getByLabel('Email').fill(owner.email)
      await page.getByLabel('Password').fill(owner.password)
      await page.getByRole('button', { name: 'Log in', exact: true }).click()
    }
    await logIn()
    await page.getByRole('link', { name: 'User settings' }).click()
    await page.getByRole('link', { name: 'Enable' }).click()
    t.equal(await page.locator('.qr svg').count(), 1, 'the QR code is on the page')
    await page.screenshot({ path: path.join(shots, 'two-factor-setup.png'), fullPage: true })
    const key = (await page.locator('#totp-key').textContent())!.replace(/\s/g, '')
    await page.getByLabel('One-time password').fill(freshCode(key))
    await page.getByRole('button', { name: 'Enable' }).click()
    // Turning 2FA on is re-confirmed with the password; the code is asked for again, never carried.
    t.equal(await page.locator('h1').textContent(), 'Confirm it is you')
    t.ok(await showsPrompt(page), 'the re-confirmation prompt')
    await page.getByLabel('One-time password').fill(freshCode(key))
    await page.getByLabel('Password', { exact: true }).fill(owner.password)
    await page.screenshot({ path: path.join(shots, 'two-factor-reconfirm.png'), fullPage: true })
    await page.getByRole('button', { name: 'Confirm' }).click()
    t.equal(await page.locator('h1').textContent(), 'Recovery codes')
    const codes = (await page.locator('ul.codes code').allTextContents()).map((c) => c.replace(/\s/g, ''))
    t.equal(codes.length, 10)
    await page.screenshot({ path: path.join(shots, 'two-factor-codes.png'), fullPage: true })
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download as text' }).click()
    t.equal((await download).suggestedFilename(), 'recovery-codes.txt')

    await page.goto(`${origin}/client/profile`)
    await page.getByRole('button', { name: 'Log out' }).click()
    await logIn()
    t.equal(new URL(page.url()).pathname, '/login/two-factor')
    await page.screenshot({ path: path.join(shots, 'two-factor-login.png') })
    await page.getByLabel('One-time password').fill(freshCode(key))
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/profile')

    await page.getByRole('button', { name: 'Log out' }).click()
    await logIn()
    await page.getByLabel('One-time password').fill(codes[3]!)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/profile', 'a recovery code signs in')
    await context.close()
  })
}
