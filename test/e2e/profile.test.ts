// In a real browser with JavaScript off: change the full name, verify a
// phone with the code from the SMS gateway, change the password and see the
// other browser session signed out.
import path from 'node:path'
import t from 'tap'
import { createOwner, createUser, startTestApp } from '../helpers/app.ts'
import { browserMissing, newContext, serveToBrowser, showsPrompt } from '../helpers/browser.ts'
import { TestSmsGateway } from '../helpers/sms-gateway.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const gateway = new TestSmsGateway()
  await gateway.start()
  t.teardown(() => gateway.stop())
  const ta = await startTestApp(t, { env: { SMS_WEBHOOK_URL: gateway.url } })
  const owner = await createOwner(ta)
  const u = await createUser(ta, owner.accountId, 'browser@example.com', 'browser user passphrase', 'Bruno Browser')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)

  async function logIn (password: string) {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${origin}/login`)
    await page.getByLabel('Email').fill(u.email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    return { context, page }
  }

  t.test('name, phone and password from the Profile page', async (t) => {
    const other = await logIn(u.password)
    const { page } = await logIn(u.password)
    t.equal(new URL(page.url()).pathname, '/client/profile')

    await page.getByRole('textbox', { name: 'Full name' }).fill('Bruno Renamed')
    await page.locator('form[action="/client/profile/name"]').getByRole('button', { name: 'Save' }).click()
    t.equal(await page.getByRole('status').textContent(), 'Your full name has been saved.')
    t.match(await page.locator('.topbar').textContent(), 'Signed in as Bruno Renamed')

    await page.getByRole('textbox', { name: 'Phone number' }).fill('+44 7911 123456')
    await page.locator('form[action="/client/profile/phone"]').getByRole('button', { name: 'Save' }).click()
    // A phone change is re-confirmed first; once confirmed, the number typed is saved.
    t.equal(await page.locator('h1').textContent(), 'Confirm it is you')
    t.ok(await showsPrompt(page), 'the re-confirmation prompt')
    t.match(await page.locator('main').textContent(), 'To change your phone number, enter your password.')
    await page.screenshot({ path: path.join(shots, 'profile-phone-reconfirm.png'), fullPage: true })
    await page.getByLabel('Password').fill(u.password)
    await page.getByRole('button', { name: 'Confirm' }).click()
    t.match(await page.getByRole('status').textContent(), 'saved')
    t.match(await page.locator('#phone').textContent(), 'Not verified')
    await page.locator('#phone').getByRole('button', { name: 'Verify', exact: true }).click()
    t.notOk(await showsPrompt(page), 'the phone change was confirmed a moment ago: no second prompt')
    t.match(await page.getByRole('status').textContent(), 'A code is on its way to +44 7911 123456')
    const code = await gateway.codeFor('+447911123456')
    await page.getByLabel('Verification code').fill(code)
    await page.screenshot({ path: path.join(shots, 'profile-phone-code.png'), fullPage: true })
    await page.locator('form.code-step').getByRole('button', { name: 'Verify' }).click()
    t.notOk(await showsPrompt(page), 'nor for the code')
    t.match(await page.locator('#phone').textContent(), 'Verified successfully')

    await page.getByLabel('Current password').fill(u.password)
    await page.getByLabel('New password', { exact: true }).fill('browser user new passphrase')
    await page.getByLabel('Repeat the new password').fill('browser user new passphrase')
    await page.locator('form[action="/client/profile/password"]').getByRole('button', { name: 'Save' }).click()
    t.match(await page.getByRole('status').textContent(), 'Your password has been changed.')
    await page.screenshot({ path: path.join(shots, 'profile-done.png'), fullPage: true })

    await other.page.goto(`${origin}/client/profile`)
    t.match(other.page.url(), /\/login/, 'the other browser session was signed out')

    await page.goto(`${origin}/client/profile/sessions`)
    t.equal(await page.locator('h1').textContent(), 'Sessions and sign-ins')
    t.equal(await page.locator('text=This session').count(), 1)
    await page.screenshot({ path: path.join(shots, 'sessions.png'), fullPage: true })
  })
}
