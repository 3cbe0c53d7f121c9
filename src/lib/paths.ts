/** The login page, with where to go after it when that is a page of ours. */
export function loginPathFor (basePath: string, returnTo: string): string {
  const safe = safeReturnTo(basePath, returnTo)
  return safe === undefined ? `${basePath}login` : `${basePath}login?return_to=${encodeURIComponent(safe)}`
}

/** A redirect target only if it is a same-origin path under BASE_PATH. */
export function safeReturnTo (basePath: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined
  if (!value.startsWith(basePath) || value.startsWith('//') || value.includes('\\')) return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined
  const url = new URL(value, 'http://x.invalid')
  if (url.host !== 'x.invalid' || !url.pathname.startsWith(basePath)) return undefined
  if (url.pathname === `${basePath}login` || url.pathname === `${basePath}logout`) return undefined
  return url.pathname + url.search
}
