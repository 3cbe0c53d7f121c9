// Every page a user can reach (test/helpers/tour.ts), in English and in
// Russian: axe-core finds no violation at 1280 and 390 px, and at 390 px no
// document is wider than the viewport. The tour runs with JavaScript off;
// each page is then shown again in a context with JavaScript on and the CSP
// bypassed, only for axe.
import t from 'tap'
import { startTestApp } from '../helpers/app.ts'
import { overflowOf, runAxe } from '../helpers/audit.ts'
import { browserMissing, reopen, serveToBrowser } from '../helpers/browser.ts'
import { tour } from '../helpers/tour.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  // About 70 pages, each audited twice: longer than tap's default file timeout.
  t.setTimeout(15 * 60 * 1000)
  const ta = await startTestApp(t)
  const { origin, browser } = await serveToBrowser(t, ta.app)

  for (const lang of ['en', 'ru'] as const) {
    t.test(`every page in ${lang}`, async (t) => {
      const wide = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 1280, height: 800 } })
      const phone = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
      t.teardown(async () => { await wide.close(); await phone.close() })
      const seen: string[] = []
      await tour(ta, browser, origin, lang, async (name, page) => {
        seen.push(name)
        for (const [width, context] of [[1280, wide], [390, phone]] as const) {
          const copy = await reopen(context, page)
          const findings = await runAxe(copy)
          t.same(findings.map((f) => `${f.id} (${f.impact ?? ''}): ${f.help}: ${f.nodes.slice(0, 3).join(' | ')}`), [], `${lang} ${name} at ${width} px: no axe violation`)
          if (width === 390) t.equal(await overflowOf(copy), 0, `${lang} ${name} at 390 px: not wider than the viewport`)
          await copy.close()
        }
      })
      t.ok(seen.length >= 30, `${seen.length} pages visited`)
    })
  }
}
