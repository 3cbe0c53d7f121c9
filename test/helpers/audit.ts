// axe-core in the page, for the browser suite: its rules (WCAG 2.x A and AA
// and best practices) on a page shown again with JavaScript on, in a context
// that bypasses the CSP only for this audit. Also whether the document is
// wider than the viewport (a page that scrolls sideways), and which boxes in it do.
import axe from 'axe-core'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'

interface Finding { id: string, impact: string | null | undefined, help: string, nodes: string[] }

/** The widths pages are audited at: a desktop, a phone and a tablet (the sidebar is back, the room is not). */
export const AUDIT_WIDTHS = {
  wide: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  tablet: { viewport: { width: 768, height: 1024 }, isMobile: true, hasTouch: true }
} as const satisfies Record<string, BrowserContextOptions>

/**
 * A context to audit pages in (JavaScript on and the CSP bypassed: the pages
 * themselves were served with JavaScript off) with one page, which shows
 * each audited page in turn: its HTML as served, on the app's origin, with
 * its stylesheet and images from the app. axe-core is added once, when the
 * view's page opens; each page shown then replaces the document in place
 * (document.open, which keeps the window and axe in it). Adding axe to a
 * fresh page for each audit took longer than running its rules: about
 * 0.3 s to evaluate its 550 kB, and 0.25 s for the page.
 */
export class AuditView {
  private constructor (private readonly context: BrowserContext, private readonly page: Page) {}

  static async open (browser: Browser, options: BrowserContextOptions): Promise<AuditView> {
    const context = await browser.newContext({ ...options, javaScriptEnabled: true, bypassCSP: true })
    await context.addInitScript({ content: axe.source })
    // The view shows only what it is given: a page that would leave on its
    // own (a meta refresh) is stopped, so that the pages shown after it are
    // not disturbed. Such a page cannot be audited here (its audit finds an
    // empty document and fails).
    await context.route(() => true, async (route) => {
      if (route.request().isNavigationRequest()) await route.abort()
      else await route.fallback()
    })
    return new AuditView(context, await context.newPage())
  }

  /** The view's page showing what `served` shows; ready once its stylesheet and images have loaded. */
  async show (served: Page): Promise<Page> {
    const origin = new URL(served.url()).origin
    if (new URL(this.page.url()).origin !== origin) {
      // A blank document on the app's origin, so that the pages' root-relative links load from the app
      // (the page's own route, which goes before the context's).
      const blank = `${origin}/audit-view-blank`
      await this.page.route(blank, async (route) => { await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html><title>audit</title>' }) })
      await this.page.goto(blank)
    }
    await this.page.setContent(await served.content(), { waitUntil: 'load' })
    return this.page
  }

  async close (): Promise<void> {
    await this.context.close()
  }
}

/** axe-core's violations on an AuditView's page (which holds axe), one line each: rule, impact, help and the first three elements. */
export async function runAxe (page: Page): Promise<string[]> {
  const findings: Finding[] = await page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe }
    const result = await w.axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }))
  })
  return findings.map((f) => `${f.id} (${f.impact ?? ''}): ${f.help}: ${f.nodes.slice(0, 3).join(' | ')}`)
}

/** How many CSS pixels the document is wider than the viewport (0 when it fits). */
export async function overflowOf (page: Page): Promise<number> {
  return await page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth))
}

/**
 * The boxes inside the page that scroll sideways (overflow-x auto or scroll
 * and content wider than the box, such as a table wider than its card):
 * the document fits, but a row is still read by scrolling it.
 */
export async function sidewaysScrollersOf (page: Page): Promise<string[]> {
  return await page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
    .map((e) => `${e.tagName.toLowerCase()}${e.id === '' ? '' : `#${e.id}`}${[...e.classList].map((c) => `.${c}`).join('')} (${e.scrollWidth - e.clientWidth} px)`))
}

/**
 * In the narrow layouts, where a list's rows are cards (app.css, max-width
 * 1100 px): the cells narrower than their card, named with their width and
 * the card's. A width meant for the desktop table (the activity's date and
 * address columns at 1%) that still applied squeezed a date into one letter
 * a line and laid the address over its label, which no width check saw.
 */
export async function squashedCellsOf (page: Page): Promise<string[]> {
  return await page.evaluate(() => [...new Set([...document.querySelectorAll('main table.list td')]
    .filter((td) => getComputedStyle(td).display !== 'table-cell')
    .map((td) => {
      const row = td.parentElement!
      const style = getComputedStyle(row)
      const inner = row.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      return { td, width: td.getBoundingClientRect().width, inner }
    })
    .filter(({ width, inner }) => width < inner * 0.9)
    .map(({ td, width, inner }) => `${td.closest('table')?.className ?? ''} td${[...td.classList].map((c) => `.${c}`).join('')} (${Math.round(width)} px of ${Math.round(inner)})`))])
}
