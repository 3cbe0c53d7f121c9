// The attributes every cookie of the site shares (session, CSRF secret,
// language): SECURITY.md, Sessions and cookies.
// Guarantees:
// - by default SameSite=Lax, Secure when PUBLIC_URL is https, HttpOnly;
// - only when FRAME_ANCESTORS lets another site frame the pages, every cookie
//   is SameSite=None; Secure; Partitioned (CHIPS), so that the framed panel
//   keeps its session in a third-party context, in the partition of the
//   framing site only; never None without Secure (browsers drop such cookies).
import type { Config } from '../config.ts'

export interface SiteCookieOptions {
  sameSite: 'lax' | 'none'
  secure: boolean
  partitioned?: true
}

/**
 * Whether FRAME_ANCESTORS names an origin other than the panel's own
 * ('self', PUBLIC_URL's origin). Any other origin counts as another site:
 * telling a sibling subdomain (same site, where Lax would do) from another
 * site would need the public suffix list, and None; Partitioned works for both.
 */
export function framedByOthers (config: Pick<Config, 'frameAncestors' | 'publicUrl'>): boolean {
  return config.frameAncestors.some((source) => source !== "'self'" && source !== "'none'" && source !== config.publicUrl.origin)
}

export function siteCookieOptions (config: Pick<Config, 'frameAncestors' | 'publicUrl'>): SiteCookieOptions {
  if (framedByOthers(config)) return { sameSite: 'none', secure: true, partitioned: true }
  return { sameSite: 'lax', secure: config.publicUrl.protocol === 'https:' }
}
