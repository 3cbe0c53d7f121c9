// Debian's Chromium driven by playwright-core, JavaScript off.
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'

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
