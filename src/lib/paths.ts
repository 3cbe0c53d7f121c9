// Where the product may send a browser: every redirect target taken from a
// request (return_to, a Cancel link) goes through safeReturnTo. Guarantees:
// the result is a path on this origin under BASE_PATH, normalised (dot
// segments and their %2e spellings resolved, backslashes read as the
// browser reads them, repeated slashes collapsed), so that it can never be
// read as another host (`//x`, `/\x`, `/.//x`, `/a/..//x`).

/** The login page, with where to go after it when that is a page of ours. */
export function loginPathFor (basePath: string, returnTo: string): string {
  const safe = safeReturnTo(basePath, returnTo)
  return safe === undefined ? `${basePath}login` : `${basePath}login?return_to=${encodeURIComponent(safe)}`
}

const ORIGIN = 'http://x.invalid'

/** A redirect target only if, once normalised, it is a same-origin path under BASE_PATH. */
export function safeReturnTo (basePath: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined
  // Browsers read a backslash as a slash in http(s) URLs: so do we, before anything else.
  const slashed = value.replace(/\\/g, '/')
  if (!slashed.startsWith('/') || slashed.startsWith('//')) return undefined
  let url: URL
  try {
    url = new URL(slashed, ORIGIN) // resolves ./ ../ and %2e segments
  } catch {
    return undefined
  }
  if (url.origin !== ORIGIN) return undefined
  const path = url.pathname.replace(/\/{2,}/g, '/')
  if (!path.startsWith(basePath) && `${path}/` !== basePath) return undefined
  if (path === `${basePath}login` || path === `${basePath}logout`) return undefined
  return path + url.search + url.hash
}

/**
 * Where the language switch goes back to: the page it was on. The login
 * page itself is allowed here (safeReturnTo refuses it as a place to land
 * after signing in), with its own return_to checked again.
 */
export function languageReturnTo (basePath: string, value: unknown): string {
  const login = `${basePath}login`
  if (typeof value === 'string' && (value === login || value.startsWith(`${login}?`))) {
    return loginPathFor(basePath, new URLSearchParams(value.slice(login.length + 1)).get('return_to') ?? '')
  }
  return safeReturnTo(basePath, value) ?? login
}
