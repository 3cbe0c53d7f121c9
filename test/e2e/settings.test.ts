// In a real browser with JavaScript off: Main settings on /client/settings.
// Switch to Русский and see the menu in Russian; choose a time zone and see
// it on the sessions page; turn the IP list on through the re-confirmation
// prompt. The page, its error state and the prompt pass axe-core and fit a
// 390 px phone.
import type { Page } from 'playwright-core'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, logIn, newContext, serveToBrowser, showsPrompt, widthAuditor } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'settings@example.com', 'settings browser passphrase', 'Sergei Settings')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'settings')

  const sidebar = (page: Page) => page.locator('nav.sidebar')

  t.test('Русский, a time zone, and the IP list behind the prompt', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.getByRole('link', { name: 'User settings' }).first().click()
    t.equal(new URL(page.url()).pathname, '/client/settings')
    t.equal(await page.getByRole('heading', { name: 'Main settings' }).count(), 1)
    await audit(t, 'en', page)

    // Bad input first: the page again with the message and what was typed.
    await page.getByLabel('Only from IPs in the list').check()
    await page.getByLabel('IP addresses and ranges').fill('127.0.0.1\n10.0.0.0/33')
    await page.getByRole('button', { name: 'Save' }).click()
    t.match(await page.locator('#e-ip_allow_list').textContent(), 'Line 2: “10.0.0.0/33” is not an IP address or CIDR range.')
    t.equal(await page.getByLabel('IP addresses and ranges').inputValue(), '127.0.0.1\n10.0.0.0/33', 'the list typed is kept')
    t.ok(await page.getByLabel('Only from IPs in the list').isChecked(), 'the choice is kept')
    await audit(t, 'en-error', page)

    // A list that holds this browser's address: re-confirmed, then saved.
    await page.getByLabel('IP addresses and ranges').fill('127.0.0.0/8\n::1')
    await page.getByRole('button', { name: 'Save' }).click()
    t.ok(await showsPrompt(page), 'the re-confirmation prompt')
    t.match(await page.locator('main').textContent(), 'To restrict access to the control panel, enter your password.')
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Confirm' }).click()
    t.match(await page.getByRole('status').textContent(), /^Your settings have been saved\. You confirmed it is you/)
    t.equal(await page.getByLabel('IP addresses and ranges').inputValue(), '127.0.0.0/8\n::1', 'the list as stored')

    // Русский: the menu follows at once.
    await page.getByLabel('Language').selectOption({ label: 'Русский' })
    await page.getByRole('button', { name: 'Save' }).click()
    t.equal(await page.locator('html').getAttribute('lang'), 'ru')
    t.equal(await page.getByRole('status').textContent(), 'Настройки сохранены.')
    const menu = await sidebar(page).getByRole('link').allTextContents()
    t.same(menu.slice(0, 2), ['Профиль', 'Настройки пользователя'], 'the menu in Russian')
    t.notOk(menu.some((item) => /Profile|User settings/.test(item)), 'no English left in it')
    await audit(t, 'ru', page)

    // A time zone, shown on the sessions page.
    await page.getByLabel('Часовой пояс').selectOption('Asia/Tokyo')
    t.match(await page.locator('#f-time_zone option[value="Asia/Tokyo"]').textContent(), /^\(UTC\+09:00\) Asia\/Tokyo$/)
    await page.getByRole('button', { name: 'Сохранить' }).click()
    t.equal(await page.getByRole('status').textContent(), 'Настройки сохранены.')
    await page.goto(`${origin}/client/profile/sessions`)
    t.match(await page.locator('main').textContent(), 'Время указано в часовом поясе Asia/Tokyo (Япония')
    await context.close()
  })
}
