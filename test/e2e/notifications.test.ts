// In a real browser with JavaScript off: Notifications on
// /client/settings/notifications. Switch a notification off and see it
// stay off; unsubscribe from a mail's link with its one button. The matrix
// and the unsubscribe pages pass axe-core and fit a 390 px phone.
import t from 'tap'
import { unsubscribeToken } from '../../src/lib/unsubscribe.ts'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, logIn, newContext, serveToBrowser, widthAuditor } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'notify@example.com', 'notifications browser passphrase', 'Nina Notify')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'notifications')

  t.test('switch a notification off, and unsubscribe from a mail link', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.goto(`${origin}/client/settings/notifications`)
    t.equal(await page.getByRole('heading', { name: 'Notifications', level: 1 }).count(), 1)
    await audit(t, 'matrix', page)

    const support = page.getByRole('checkbox', { name: 'Support replies: Email' })
    t.ok(await support.isChecked(), 'on by default')
    await support.uncheck()
    await page.getByRole('button', { name: 'Save' }).click()
    t.equal(await page.getByRole('status').textContent(), 'Notification settings saved.')
    t.notOk(await page.getByRole('checkbox', { name: 'Support replies: Email' }).isChecked(), 'off as stored')
    t.ok(await page.getByRole('checkbox', { name: 'Invoices and payments: Email' }).isChecked(), 'the others as they were')

    // The link of a mail, opened in a browser without the session.
    const token = unsubscribeToken(ta.app.deps.keys.unsubscribe, { userId: owner.userId, type: 'billing', channel: 'mail' })
    const anon = await newContext(browser)
    const link = await anon.newPage()
    await link.goto(`${origin}/unsubscribe/${token}`)
    await audit(t, 'unsubscribe', link)
    await link.getByRole('button', { name: 'Unsubscribe' }).click()
    t.match(await link.getByRole('status').textContent(), /“Invoices and payments” notifications are no longer sent by email/)
    await audit(t, 'unsubscribed', link)
    await page.reload()
    t.notOk(await page.getByRole('checkbox', { name: 'Invoices and payments: Email' }).isChecked(), 'the matrix shows it off')
    await anon.close()
    await context.close()
  })
}
