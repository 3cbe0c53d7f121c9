// Debian's Chromium driven by playwright-core, JavaScript off.
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'
import { AUDIT_WIDTHS, AuditView, overflowOf, runAxe, sidewaysScrollersOf } from './audit.ts'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Why the browser suite cannot run here, or undefined when it can. */
export function browserMissing (): string | undefined {
  if (existsSync(chromiumPath)) return undefined
  const why = `Chromium not found at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`
  if (process.env.E2E_REQUIRED === '1') throw new Error(why)
  return why
}

export async function launch (): Promise<Browser> {
  return await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

export async function newContext (browser: Browser): Promise<BrowserContext> {
  return await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 720 } })
}

/** Serves the test app on loopback and opens Chromium on it; both close at the end of the test. */
export async function serveToBrowser (t: { teardown: (fn: () => unknown) => void }, app: { listen: (o: { port: number, host: string }) => Promise<unknown>, server: { address: () => unknown } }): Promise<{ origin: string, browser: Browser, shots: string }> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const shots = path.join('.tap', 'screenshots')
  mkdirSync(shots, { recursive: true })
  const browser = await launch()
  t.teardown(() => browser.close())
  return { origin, browser, shots }
}

/** Signs in through the login form as a person does: the email, the password, the button. */
export async function logIn (page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/login`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in', exact: true }).click()
}

/** True when the page shown is the re-confirmation prompt (views/settings/confirm.eta): the form marked data-reconfirm. */
export async function showsPrompt (page: Page): Promise<boolean> {
  return await page.locator('form[data-reconfirm]').count() === 1
}

/**
 * Opens, in `context`, the page `page` shows, as it was served: the same URL
 * answered with the same HTML (its stylesheet and images still come from the
 * app). A POST answer or a one-time page can so be shown again at another
 * width, audited with JavaScript on, or photographed.
 */
export async function reopen (context: BrowserContext, page: Page): Promise<Page> {
  const html = await page.content()
  const url = page.url().split('#')[0]!
  const copy = await context.newPage()
  await copy.route((u) => u.href.split('#')[0] === url, async (route) => {
    await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html })
  })
  await copy.goto(url)
  return copy
}

/**
 * The audit of a page as served, at 1280 px and at a 390 px phone: no
 * axe-core violation, nothing wider than the phone's viewport, no box that
 * scrolls sideways; a full-page screenshot of each under `shots` named
 * `<prefix>-<name>-<width>.png`. Shown in AuditViews, which run JavaScript
 * and bypass the CSP for axe only; the page itself was served with
 * JavaScript off.
 */
export async function widthAuditor (t: { teardown: (fn: () => unknown) => void }, browser: Browser, shots: string, prefix: string): Promise<(t: Test, name: string, page: Page) => Promise<void>> {
  const wide = await AuditView.open(browser, AUDIT_WIDTHS.wide)
  const phone = await AuditView.open(browser, AUDIT_WIDTHS.phone)
  t.teardown(async () => { await wide.close(); await phone.close() })
  return async (t, name, page) => {
    for (const [width, view] of [[1280, wide], [390, phone]] as const) {
      const copy = await view.show(page)
      t.same(await runAxe(copy), [], `${name} at ${width} px: no axe violation`)
      if (width === 390) {
        t.equal(await overflowOf(copy), 0, `${name} at 390 px: not wider than the viewport`)
        t.same(await sidewaysScrollersOf(copy), [], `${name} at 390 px: no box scrolls sideways`)
      }
      await copy.screenshot({ path: path.join(shots, `${prefix}-${name}-${width}.png`), fullPage: true })
    }
  }
}
