// In a real browser with JavaScript off: link Telegram. The user presses
// Link on /client/settings/telegram and gets the deep link and the code; the
// test plays the bot's webhook (as Telegram would post it after /start); a
// reload shows the chat linked; Unlink goes through its confirmation page.
// The pages pass axe-core and fit a 390 px phone.
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, logIn, newContext, serveToBrowser, widthAuditor } from '../helpers/browser.ts'
import { TestBotApi, textUpdate } from '../helpers/telegram-api.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const bot = new TestBotApi()
  await bot.start()
  t.teardown(() => bot.stop())
  const SECRET = 'e2e-webhook-secret'
  const ta = await startTestApp(t, { env: { TELEGRAM_BOT_TOKEN: '42:e2e', TELEGRAM_BOT_USERNAME: 'panel_e2e_bot', TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_URL: bot.url } })
  const owner = await createOwner(ta, 'telegram@example.com', 'telegram browser passphrase', 'Tatiana Telegram')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'telegram')

  t.test('Link, the bot\'s webhook, linked; support on; Unlink through its confirmation', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.goto(`${origin}/client/settings`)
    await page.locator('section', { has: page.getByRole('heading', { name: 'Telegram' }) }).getByRole('link', { name: 'Link' }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/telegram')
    await audit(t, 'not-linked', page)

    await page.getByRole('button', { name: 'Link' }).click()
    const deepLink = await page.getByRole('link', { name: /^https:\/\/t\.me\/panel_e2e_bot\?start=/ }).getAttribute('href')
    const code = new URL(deepLink!).searchParams.get('start')!
    t.match(await page.locator('#telegram-code').textContent(), `/start ${code}`, 'the code as text')
    t.match(await page.locator('main').textContent(), 'valid for 10 minutes')
    await audit(t, 'code', page)

    // Telegram posts the update after the user pressed Start in the bot's chat.
    const res = await fetch(`${origin}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify(textUpdate(9001, `/start ${code}`, { username: 'tatiana_tg' }))
    })
    t.equal(res.status, 200)
    await page.getByRole('link', { name: 'I have sent it, check' }).click()
    t.match(await page.getByRole('heading', { level: 1 }).textContent(), 'Linked')
    t.match(await page.locator('main').textContent(), '@tatiana_tg')
    t.match((await bot.waitFor(9001)).text, `Linked to`, 'the bot answered in the chat')
    await audit(t, 'linked', page)

    await page.getByLabel('Enable interaction with technical support').check()
    await page.getByRole('button', { name: 'Save' }).click()
    t.equal(await page.getByRole('status').textContent(), 'Saved.')
    t.ok(await page.getByLabel('Enable interaction with technical support').isChecked(), 'saved on')

    await page.getByRole('link', { name: 'Unlink' }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/telegram/unlink')
    await audit(t, 'unlink', page)
    await page.getByRole('button', { name: 'Unlink' }).click()
    t.equal(await page.getByRole('status').textContent(), 'Telegram is unlinked.')
    t.equal(await page.getByRole('button', { name: 'Link' }).count(), 1, 'Link again')
    await context.close()
  })

  // The code is random (22 characters of base64url), so the audit above sees
  // a different deep link each run; this one is the widest the alphabet
  // makes: the served answer, its code replaced by W's on the way.
  t.test('the code page fits a phone with a code of the widest letters', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.goto(`${origin}/client/settings/telegram`)
    const widest = 'W'.repeat(22)
    await page.route('**/client/settings/telegram/link', async (route) => {
      const served = await route.fetch()
      await route.fulfill({ response: served, body: (await served.text()).replace(/(start=|\/start )[\w-]{22}\b/g, `$1${widest}`) })
    })
    await page.getByRole('button', { name: 'Link' }).click()
    t.equal(await page.getByRole('link', { name: `https://t.me/panel_e2e_bot?start=${widest}` }).count(), 1, 'the deep link carries the wide code')
    t.match(await page.locator('#telegram-code').textContent(), `/start ${widest}`)
    await audit(t, 'code-widest', page)
    await context.close()
  })
}
