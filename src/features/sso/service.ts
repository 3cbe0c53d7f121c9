// SSO handoff (SPEC §6): the provider asks for a link that signs a user in
// after one click. Guarantees:
// - a link is 128 random bits (a `tokens` row of purpose 'sso': only its
//   SHA-256 stored), lives SSO_TTL_SECONDS and works once: it is used up by
//   one conditional UPDATE … RETURNING, so of parallel posts one signs in;
// - looking at a link (the page's GET) changes nothing and does not use it;
// - where the browser goes afterwards is fixed when the link is made, checked
//   then (invalid_return_to) and again when it is used: a local path under
//   BASE_PATH (safeReturnTo), never taken from the form that posts it;
// - a disabled user gets no link, and a link made before the user was
//   disabled signs nobody in (audited as a disabled user's sign-in).
// The sign-in itself goes through completeSignIn (auth): 2FA, the IP list,
// a new session id, the history and the audit log apply as to a password.
import { recordEvent } from '../../lib/events.ts'
import { safeReturnTo } from '../../lib/paths.ts'
import { consumeTokenWithData, issueToken, peekTokenWithData } from '../../lib/tokens.ts'
import type { Deps } from '../../types.ts'
import { recordRefusedSignIn, type SignInUser } from '../auth/index.ts'
import type { NotFound, ProviderCaller, ProviderDeps } from '../provider/index.ts'
import { findSpentLink, findSsoUser } from './queries.ts'

export const SSO_TTL_SECONDS = 60

export type SsoLinkResult =
  | { ok: true, url: string, expiresAt: string }
  | NotFound
  /** The user is disabled: no link. */
  | { ok: false, reason: 'user_disabled' }
  /** returnTo is not a local path under BASE_PATH. */
  | { ok: false, reason: 'invalid_return_to' }

// A user id as stored (bigint): anything else names nobody.
const USER_ID = /^[1-9]\d{0,17}$/
// What randomToken() makes: 16 bytes as base64url.
const TOKEN = /^[A-Za-z0-9_-]{22}$/

/** A single-use link (128-bit token, stored hashed, 60 s) that signs the user in after one click. */
export async function createSsoLink (deps: ProviderDeps, input: { userId: string, returnTo?: string }, caller: ProviderCaller = { ip: null }): Promise<SsoLinkResult> {
  const user = USER_ID.test(input.userId) ? await findSsoUser(deps.db, input.userId) : undefined
  if (user === undefined) return { ok: false, reason: 'not_found' }
  if (user.status !== 'active') return { ok: false, reason: 'user_disabled' }
  const returnTo = input.returnTo === undefined ? undefined : safeReturnTo(deps.config.basePath, input.returnTo)
  if (input.returnTo !== undefined && returnTo === undefined) return { ok: false, reason: 'invalid_return_to' }
  const now = deps.clock.now()
  const token = await deps.db.transaction().execute(async (trx) => {
    const made = await issueToken(trx, user.id, 'sso', now, SSO_TTL_SECONDS, returnTo === undefined ? {} : { returnTo })
    await recordEvent(trx, { accountId: user.account_id, actorUserId: null, targetUserId: user.id, type: 'sso.link_created', details: { returnTo }, ip: caller.ip, at: now })
    return made
  })
  return { ok: true, url: `${deps.config.linkBase}sso?token=${token}`, expiresAt: new Date(now.getTime() + SSO_TTL_SECONDS * 1000).toISOString() }
}

/** Whom a link would sign in, while it can: for the page's GET, which uses nothing up. */
export async function ssoLinkTarget (deps: Pick<Deps, 'db' | 'clock'>, token: unknown): Promise<{ email: string } | undefined> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return undefined
  const link = await peekTokenWithData(deps.db, token, 'sso', deps.clock.now())
  const user = link === undefined ? undefined : await findSsoUser(deps.db, link.userId)
  return user?.status === 'active' ? { email: user.email } : undefined
}

export type UseSsoLinkResult =
  | { ok: true, user: SignInUser, returnTo?: string }
  /** Unknown, used, expired, for a disabled user, or with a return path that is no longer ours: nobody signed in. */
  | { ok: false, reason: 'invalid' | 'used' | 'expired' | 'disabled' | 'return_to' }

/** Uses the link up (once, whatever runs in parallel) and says whom to sign in and where to go. */
export async function useSsoLink (deps: Deps, token: unknown, client: { ip: string, userAgent: string | null }): Promise<UseSsoLinkResult> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return { ok: false, reason: 'invalid' }
  const now = deps.clock.now()
  const link = await consumeTokenWithData(deps.db, token, 'sso', now)
  if (link === undefined) {
    const spent = await findSpentLink(deps.db, token)
    if (spent === undefined) return { ok: false, reason: 'invalid' }
    const reason = spent.used_at === null ? 'expired' : 'used'
    await recordEvent(deps.db, { accountId: spent.account_id, actorUserId: null, targetUserId: spent.user_id, type: 'sso.link_refused', details: { reason }, ip: client.ip, at: now })
    return { ok: false, reason }
  }
  const user = await findSsoUser(deps.db, link.userId)
  if (user === undefined) return { ok: false, reason: 'invalid' }
  if (user.status !== 'active') {
    await recordRefusedSignIn(deps, user, client, 'sso')
    return { ok: false, reason: 'disabled' }
  }
  const stored = link.data.returnTo
  const returnTo = stored === undefined ? undefined : safeReturnTo(deps.config.basePath, stored)
  if (stored !== undefined && returnTo === undefined) {
    await recordEvent(deps.db, { accountId: user.account_id, actorUserId: null, targetUserId: user.id, type: 'sso.link_refused', details: { reason: 'return_to' }, ip: client.ip, at: now })
    return { ok: false, reason: 'return_to' }
  }
  return { ok: true, user, returnTo }
}
