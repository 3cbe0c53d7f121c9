// npm run screenshots: a PNG of every page and state (test/helpers/tour.ts:
// signed out, errors, confirmations, empty and full lists) at 1280 and
// 390 px, in English and Russian, into screenshots/ (not committed), for
// people to look at. The app runs on a throw-away database: on DATABASE_URL's
// server when set, else on an embedded PostgreSQL in a temporary folder.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmbedded } from '../src/db/embedded.ts'
import { startTestApp } from '../test/helpers/app.ts'
import { launch, reopen } from '../test/helpers/browser.ts'
import { TOUR_ENV, tour } from '../test/helpers/tour.ts'

const out = path.resolve(process.argv[2] ?? 'screenshots')
mkdirSync(out, { recursive: true })
// Last run's pictures go first, so that a page no longer in the tour leaves none behind.
for (const f of readdirSync(out)) if (f.endsWith('.png')) rmSync(path.join(out, f))
const teardowns: Array<() => unknown> = []
const t = { teardown: (fn: () => unknown) => { teardowns.unshift(fn) } }

try {
  if (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') {
    const dir = mkdtempSync(path.join(tmpdir(), 'cp-shots-pg-'))
    const server = await startEmbedded(dir, { settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } })
    process.env.DATABASE_URL = server.url
    t.teardown(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }) })
  }
  const ta = await startTestApp(t, { env: { ...TOUR_ENV } })
  await ta.app.listen({ port: 0, host: '127.0.0.1' })
  const origin = `http://127.0.0.1:${(ta.app.server.address() as { port: number }).port}`
  const browser = await launch()
  t.teardown(() => browser.close())
  const widths = [
    { width: 1280, context: await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } }) },
    { width: 390, context: await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }) }
  ]
  let n = 0
  for (const lang of ['en', 'ru'] as const) {
    await tour(ta, browser, origin, lang, async (name, page) => {
      n++
      for (const { width, context } of widths) {
        const copy = await reopen(context, page)
        await copy.screenshot({ path: path.join(out, `${lang}-${String(n).padStart(2, '0')}-${name}-${width}.png`), fullPage: true })
        await copy.close()
      }
    })
  }
  console.log(`${n * widths.length} screenshots in ${out}`)
} finally {
  for (const fn of teardowns) await fn()
}
