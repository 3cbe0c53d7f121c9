// In a real browser with JavaScript off: Operations with personal data.
// Export the personal data through the re-confirmation prompt (confirmed
// by typing the password) and receive the CSV at a real SMTP server; then
// request deletion, again through the prompt, and see the request with its
// history. The page with a request and an export, and the prompt, pass
// axe-core and fit a 390 px phone.
import Papa from 'papaparse'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, logIn, newContext, serveToBrowser, showsPrompt, widthAuditor } from '../helpers/browser.ts'
import { TestSmtp } from '../helpers/smtp.ts'
import { eventually } from '../helpers/wait.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const smtp = await TestSmtp.started(t)
  const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
  const owner = await createOwner(ta, 'operations@example.com', 'operations browser passphrase', 'Oksana Operations')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'privacy-operations')

  t.test('export through the prompt, the CSV mailed; then a deletion request through the prompt', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.goto(`${origin}/client/settings`)
    await page.locator('section.card', { has: page.getByRole('heading', { name: 'Privacy policy and personal data' }) }).getByRole('link').click()
    t.equal(new URL(page.url()).pathname, '/client/settings/privacy')

    // Export: the prompt asks for the password, and only then is anything queued.
    await page.getByRole('button', { name: 'Export personal data' }).click()
    t.ok(await showsPrompt(page), 'the re-confirmation prompt')
    t.match(await page.locator('main').textContent(), 'To export your personal data, enter your password.')
    t.equal(await ta.app.deps.db.selectFrom('data_exports').select('id').where('user_id', '=', owner.userId).execute().then((r) => r.length), 0, 'nothing queued before the prompt is answered')
    await audit(t, 'prompt', page)
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Confirm' }).click()
    t.match(await page.getByRole('status').textContent(), /^Your personal data is being exported: the file will be emailed to operations@example\.com\./)
    const mail = await eventually('the export mail', () => smtp.messages.find((m) => m.attachments.some((a) => a.filename?.endsWith('.csv') === true)))
    const csv = mail.attachments.find((a) => a.filename?.endsWith('.csv') === true)!.content.toString('utf8')
    const rows = Papa.parse<string[]>(csv.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data
    t.same(rows[0], ['section', 'record', 'field', 'value'], 'the header')
    t.ok(rows.some((r) => r[0] === 'profile' && r[3] === 'operations@example.com'), 'the profile section holds the address')

    // The page shows when it was sent, and no button until 24 hours have passed.
    await page.reload()
    await eventually('the export shown as sent', async () => {
      await page.reload()
      return (await page.locator('#exports').textContent())?.includes('Sent at') === true ? true : undefined
    })
    t.equal(await page.getByRole('button', { name: 'Export personal data' }).count(), 0, 'no second export within 24 hours')
    t.match(await page.locator('#exports').textContent(), /the next one is possible after/)

    // Deletion: the prompt again (another operation), then the request with its history.
    await page.getByRole('button', { name: 'Request deletion' }).click()
    t.ok(await showsPrompt(page), 'the deletion request is re-confirmed too')
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Confirm' }).click()
    t.match(await page.getByRole('status').textContent(), /^Your request for deletion has been received\./)
    t.match(await page.locator('#requests').textContent(), /Received/)
    t.equal(await page.getByRole('button', { name: 'Request deletion' }).count(), 0, 'no second deletion request while one is open')
    t.equal((await ta.app.deps.db.selectFrom('privacy_requests').select(['kind', 'status']).where('user_id', '=', owner.userId).execute()).length, 1)
    await audit(t, 'page', page)
    await context.close()
  })
}
