// axe-core in the page, for the browser suite: its rules (WCAG 2.x A and AA
// and best practices) on a page shown again with JavaScript on, in a context
// that bypasses the CSP only for this audit. Also whether the document is
// wider than the viewport (a page that scrolls sideways), and which boxes in it do.
import axe from 'axe-core'
import type { Page } from 'playwright-core'

export interface Finding { id: string, impact: string | null | undefined, help: string, nodes: string[] }

export async function runAxe (page: Page): Promise<Finding[]> {
  await page.addScriptTag({ content: axe.source })
  return await page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe }
    const result = await w.axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }))
  })
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
