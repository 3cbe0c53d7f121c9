// In a real browser with JavaScript off: an updated Privacy policy takes
// effect while the user is away; signing in lands on the acceptance page,
// an unticked box is refused, ticking it goes on to the page the user asked
// for. Then the privacy page: accept and withdraw SMS news, the history.
// The acceptance page, its error state and the privacy page pass axe-core
// and fit a 390 px phone.
import t from 'tap'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, newContext, serveToBrowser, widthAuditor } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'policy@example.com', 'policy browser passphrase', 'Pavel Policy')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'privacy-documents')

  const publish = async (input: Parameters<typeof publishPolicy>[1]) => {
    const r = await publishPolicy(ta.app.deps, input)
    if (!r.ok) throw new Error(`publish: ${r.reason}`)
  }

  t.test('held on the acceptance page until the updated policy is accepted', async (t) => {
    const now = ta.clock.now().toISOString()
    await publish({
      document: 'privacy-policy',
      version: 2,
      effectiveAt: now,
      textEn: 'We keep your name, your email address and the IP addresses you sign in from, for as long as your account exists and one year after. '.repeat(6) +
        '\n\nhttps://example.com/a-very-long-address-without-any-break-in-it-at-all-that-a-phone-must-still-show-without-widening-the-page',
      textRu: 'Мы храним ваше имя и адрес электронной почты.',
      changesEn: 'Sign-in addresses are now kept for one year.',
      changesRu: 'Адреса входа теперь хранятся один год.'
    })
    await publish({ document: 'user-agreement', version: 1, effectiveAt: now, url: 'https://example.com/user-agreement' })
    await publish({ document: 'sms-news', version: 1, effectiveAt: now, textEn: 'News by SMS, at most once a month.', textRu: 'Новости по SMS, не чаще раза в месяц.' })

    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${origin}/client/settings`)
    await page.getByLabel('Email').fill(owner.email)
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/privacy/accept', 'signed in: the acceptance page first')
    t.equal(await page.getByRole('heading', { name: 'Updated documents' }).count(), 1)
    t.match(await page.locator('main').textContent(), 'Sign-in addresses are now kept for one year.')
    t.equal(await page.getByRole('link', { name: 'Read the User agreement' }).getAttribute('href'), 'https://example.com/user-agreement')
    await audit(t, 'accept', page)

    // Any other page leads back here.
    await page.goto(`${origin}/client/profile`)
    t.equal(new URL(page.url()).pathname, '/client/settings/privacy/accept')

    // One box of two ticked: refused, nothing saved.
    await page.getByLabel('I have read and accept the Privacy policy').check()
    await page.getByRole('button', { name: 'Accept and continue' }).click()
    t.match(await page.locator('#e-accept-user-agreement').textContent(), 'Tick this box to accept the User agreement.')
    t.ok(await page.getByLabel('I have read and accept the Privacy policy').isChecked(), 'the box ticked stays ticked')
    t.equal(await page.locator('#e-accept-privacy-policy').count(), 0, 'no message beside it')
    await audit(t, 'accept-error', page)

    await page.getByLabel('I have read and accept the Privacy policy').check()
    await page.getByLabel('I have read and accept the User agreement').check()
    await page.getByRole('button', { name: 'Accept and continue' }).click()
    t.equal(new URL(page.url()).pathname, '/client/profile', 'on to the page asked for')
    t.equal(await page.getByRole('status').textContent(), 'Thank you: the documents are accepted.')
    await context.close()
  })

  t.test('the privacy page: accept and withdraw SMS news, the history', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${origin}/client/settings/privacy`)
    await page.getByLabel('Email').fill(owner.email)
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/privacy')
    await page.getByRole('button', { name: 'Accept: SMS news' }).click()
    t.equal(await page.getByRole('status').textContent(), 'You accepted: SMS news.')
    await page.getByRole('button', { name: 'Withdraw: SMS news' }).click()
    t.equal(await page.getByRole('status').textContent(), 'You withdrew your consent: SMS news.')
    t.equal(await page.getByRole('button', { name: 'Withdraw: SMS news' }).count(), 0)
    t.equal(await page.getByRole('button', { name: 'Accept: SMS news' }).count(), 1)
    t.equal(await page.getByText('To withdraw, request deletion of your data').count(), 2, 'instead of Withdraw on each required document')
    t.equal(await page.locator('table[aria-labelledby="h-decision-history"] tbody tr').count(), 4)
    await audit(t, 'page', page)
    await page.getByRole('link', { name: 'SMS news' }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/privacy/documents/sms-news')
    t.match(await page.locator('main').textContent(), 'News by SMS, at most once a month.')
    await audit(t, 'document', page)
    await context.close()
  })
}
