// Every page a user can reach (test/helpers/tour.ts), in one language
// (test/e2e/pages-en.test.ts and pages-ru.test.ts, two files so that tap
// runs them side by side): axe-core finds no violation at 1280 and 390 px, and at 390 and
// 768 px (a tablet: the sidebar is back, the room is not) no
// document is wider than the viewport, nor any box in it (a list wider
// than its card), and each cell of a list shown as cards is as wide as its
// card. A page with a flash shows it in view: no anchor
// scrolls past it. The tour runs with JavaScript off; each page is then
// shown again, as served, in an AuditView (test/helpers/audit.ts) with
// JavaScript on and the CSP bypassed, only for axe and the width.
import type { Test } from 'tap'
import { startTestApp } from './app.ts'
import { AUDIT_WIDTHS, AuditView, overflowOf, runAxe, sidewaysScrollersOf, squashedCellsOf } from './audit.ts'
import { browserMissing, serveToBrowser } from './browser.ts'
import { TOUR_ENV, tour } from './tour.ts'

export async function auditEveryPage (t: Test, lang: 'en' | 'ru'): Promise<void> {
  const missing = browserMissing()
  if (missing !== undefined) {
    t.plan(0, missing)
    return
  }
  const ta = await startTestApp(t, { env: { ...TOUR_ENV } })
  const { origin, browser } = await serveToBrowser(t, ta.app)
  await t.test(`every page in ${lang}`, async (t) => {
    const wide = await AuditView.open(browser, AUDIT_WIDTHS.wide)
    const phone = await AuditView.open(browser, AUDIT_WIDTHS.phone)
    const tablet = await AuditView.open(browser, AUDIT_WIDTHS.tablet)
    t.teardown(async () => { await wide.close(); await phone.close(); await tablet.close() })
    const seen: string[] = []
    await tour(ta, browser, origin, lang, async (name, page) => {
      seen.push(name)
      // As the tour shows it (JavaScript off): a flash is in view, not above a page scrolled to an anchor.
      const flash = page.locator('.flash').first()
      if (await flash.count() === 1) {
        t.notMatch(page.url(), '#', `${lang} ${name}: a page with a flash has no anchor to jump to`)
        const box = await flash.boundingBox()
        t.ok(box !== null && box.y >= 0 && box.y < (page.viewportSize()?.height ?? 0), `${lang} ${name}: the flash is in view`)
      }
      for (const [width, view] of [[1280, wide], [390, phone], [768, tablet]] as const) {
        const copy = await view.show(page)
        // 768 px: only the width (axe's rules do not change between the phone and the desktop layouts it sits between).
        if (width !== 768) {
          t.same(await runAxe(copy), [], `${lang} ${name} at ${width} px: no axe violation`)
        }
        t.equal(await overflowOf(copy), 0, `${lang} ${name} at ${width} px: not wider than the viewport`)
        // At 1280 px too: Users' row actions once ran past its card there (long names, a date, four actions on one line).
        t.same(await sidewaysScrollersOf(copy), [], `${lang} ${name} at ${width} px: no box in it scrolls sideways (a list wider than its card)`)
        if (width !== 1280) t.same(await squashedCellsOf(copy), [], `${lang} ${name} at ${width} px: each cell of a list as wide as its card`)
      }
    })
    t.ok(seen.length >= 30, `${seen.length} pages visited`)
  })
}
