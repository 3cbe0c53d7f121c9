// In a real browser with JavaScript off: add a user with an invitation,
// accept it from the email, give it one permission, see its menu change,
// disable it and see its open session signed out.
import path from 'node:path'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, logIn, newContext, serveToBrowser, showsPrompt } from '../helpers/browser.ts'
import { linkIn, TestSmtp } from '../helpers/smtp.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const smtp = await TestSmtp.started(t)
  const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
  const owner = await createOwner(ta)
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)

  t.test('invite, accept, grant, see the menu change, disable', async (t) => {
    const ownerCtx = await newContext(browser)
    const op = await ownerCtx.newPage()
    await logIn(op, origin, owner.email, owner.password)

    await op.getByRole('link', { name: 'Add a new user' }).click()
    await op.getByRole('textbox', { name: 'Email' }).fill('newbie@example.com')
    await op.getByRole('textbox', { name: 'Full name' }).fill('Nora Newbie')
    await op.screenshot({ path: path.join(shots, 'users-new.png'), fullPage: true })
    await op.getByRole('button', { name: 'Save' }).click()
    t.equal(await op.locator('h1').textContent(), 'Confirm it is you', 'adding a user is re-confirmed')
    t.ok(await showsPrompt(op), 'the re-confirmation prompt')
    t.match(await op.locator('main').textContent(), 'To add the user newbie@example.com, enter your password.')
    await op.getByLabel('Password').fill(owner.password)
    await op.getByRole('button', { name: 'Confirm' }).click()
    t.match(await op.getByRole('status').textContent(), 'an invitation has been sent')
    t.match(await op.locator('table').textContent(), 'newbie@example.com')

    const mail = await smtp.waitFor('newbie@example.com')
    const link = linkIn(mail, /http:\/\/panel\.test\/password\/reset\/[A-Za-z0-9_-]+/).replace('http://panel.test', origin)
    const userCtx = await newContext(browser)
    const up = await userCtx.newPage()
    await up.goto(link)
    t.equal(await up.locator('h1').textContent(), 'Set your password')
    await up.getByLabel('New password', { exact: true }).fill('newbie passphrase here')
    await up.getByLabel('Repeat the new password').fill('newbie passphrase here')
    await up.getByRole('button', { name: 'Save' }).click()
    await up.getByLabel('Email').fill('newbie@example.com')
    await up.getByLabel('Password').fill('newbie passphrase here')
    await up.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(up.url()).pathname, '/client/profile')
    t.equal(await up.locator('nav.sidebar a').count(), 2, 'only Profile and User settings in the menu')

    await op.goto(`${origin}/client/users`)
    await op.locator('tr', { hasText: 'newbie@example.com' }).getByRole('link', { name: 'Permissions' }).click()
    await op.getByLabel('View', { exact: true }).first().check()
    await op.getByRole('button', { name: 'Enable' }).click()
    t.equal(await op.locator('h1').textContent(), 'Enable these permissions?')
    t.match(await op.locator('main ul').textContent(), 'Users: View')
    await op.screenshot({ path: path.join(shots, 'users-permissions-confirm.png'), fullPage: true })
    await op.getByRole('button', { name: 'Enable' }).click()
    t.equal(await op.locator('h1').textContent(), 'Confirm it is you', 'a permission change is re-confirmed')
    t.ok(await showsPrompt(op), 'the re-confirmation prompt')
    t.match(await op.locator('main').textContent(), 'To change the permissions of newbie@example.com, enter your password.')
    await op.getByLabel('Password').fill(owner.password)
    await op.getByRole('button', { name: 'Confirm' }).click()
    t.match(await op.getByRole('status').textContent(), /^The permissions have been changed\. You confirmed it is you: for the next 5 minutes/, 'the change completes after confirming, and the page says the confirmation holds')
    await op.screenshot({ path: path.join(shots, 'users-permissions.png'), fullPage: true })

    await up.reload()
    t.equal(await up.locator('nav.sidebar a').count(), 3, 'Users appears in the menu')
    await up.getByRole('link', { name: 'Users' }).click()
    t.equal(await up.locator('h1').textContent(), 'Users')

    await op.goto(`${origin}/client/users`)
    await op.locator('tr', { hasText: 'newbie@example.com' }).getByRole('link', { name: 'Disable' }).click()
    t.equal(await op.locator('h1').textContent(), 'Disable the user?')
    await op.getByRole('button', { name: 'Disable' }).click()
    t.equal(await op.locator('h1').textContent(), 'Confirm it is you', 'disabling is re-confirmed')
    t.ok(await showsPrompt(op), 'the re-confirmation prompt')
    t.match(await op.locator('main').textContent(), 'To disable the user newbie@example.com, enter your password.')
    await op.getByLabel('Password').fill(owner.password)
    await op.getByRole('button', { name: 'Confirm' }).click()
    t.match(await op.getByRole('status').textContent(), 'disabled and signed out', 'Disable completes after confirming')
    await op.screenshot({ path: path.join(shots, 'users-list.png'), fullPage: true })

    await up.reload()
    t.match(up.url(), /\/login/, 'the disabled user is signed out')
  })
}
