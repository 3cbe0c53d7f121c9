// In a real browser at 1280 px, JavaScript off: the activity table shows
// every column whole; long sentences (many permissions, long addresses) wrap
// inside their cell instead of widening the table or being cut off.
import path from 'node:path'
import t from 'tap'
import { recordEvent } from '../../src/lib/events.ts'
import { createOwner, createUser, startTestApp } from '../helpers/app.ts'
import { browserMissing, logIn, serveToBrowser } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta)
  const long = await createUser(ta, owner.accountId, `a.very.long.address.${'x'.repeat(80)}@subdomain.example.com`, 'a long enough passphrase', 'Maximiliana Konstantinopolskaya-Vasilevskaya')
  const all = [...ta.app.deps.config.permissionCatalog.keys].join(' ')
  await recordEvent(ta.app.deps.db, { accountId: owner.accountId, actorUserId: owner.userId, targetUserId: long.userId, ip: '2001:db8:85a3:1234:5678:8a2e:370:7334', type: 'permissions.changed', details: { enabled: all }, at: ta.clock.now() })
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)

  t.test('at 1280 px no column is cut off and long sentences wrap', async (t) => {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } })
    const page = await ctx.newPage()
    await logIn(page, origin, owner.email, owner.password)
    await page.goto(`${origin}/client/activity`)
    await page.screenshot({ path: path.join(shots, 'activity-1280.png'), fullPage: true })
    const row = page.locator('tr', { hasText: 'Affiliate program: Manage enabled' })
    t.equal(await row.count(), 1, 'the long sentence is shown')
    const fits = await page.evaluate(() => {
      const table = document.querySelector('table.activity-table')!
      const card = table.closest('.card')!
      const right = card.getBoundingClientRect().right
      const cells = [...table.querySelectorAll('th, td')].map((c) => ({ text: (c.textContent ?? '').slice(0, 30), right: c.getBoundingClientRect().right, clipped: c.scrollWidth > c.clientWidth + 1 }))
      return { overflow: card.scrollWidth - card.clientWidth, page: document.documentElement.scrollWidth - document.documentElement.clientWidth, outside: cells.filter((c) => c.right > right + 1 || c.clipped) }
    })
    t.equal(fits.overflow, 0, 'the table does not scroll sideways in its card')
    t.equal(fits.page, 0, 'nor does the page')
    t.same(fits.outside, [], 'every cell inside the card, none clipped')
    const cell = row.locator('td.event')
    const lineHeight = await cell.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 20)
    t.ok((await cell.boundingBox())!.height > 2 * lineHeight, 'the long sentence wraps over several lines')
    t.match(await row.locator('td.ip').textContent(), '2001:db8:85a3:1234:5678:8a2e:370:7334', 'the IP whole')
    await ctx.close()
  })
}
