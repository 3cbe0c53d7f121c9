// Binding, unbinding and signing in with external authorization services
// (SPEC §4.4). Guarantees:
// - an identity (issuer, subject) is bound to one user at most: the unique
//   index decides between parallel binds, and a bind never moves an
//   identity from another user;
// - a sign-in finds the user by the identity alone, never by an email the
//   service reports: no linking or sign-up by email;
// - a disabled user and a locked address (the password throttle's counter
//   refusing) are refused as a wrong password is; the IP list is checked by
//   completeSignIn as for every proof.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { type AuthService, issuerOf } from '../../lib/auth-services.ts'
import { recordEvent } from '../../lib/events.ts'
import { admit, counterKey } from '../../lib/limits.ts'
import type { Deps } from '../../types.ts'
import { addressThrottleRule } from '../auth/index.ts'
import type { Identity } from './client.ts'
import { deleteIdentity, findIdentityHolder, updateIdentityDisplay } from './queries.ts'

export type BindResult = { ok: true } | { ok: false, reason: 'taken' | 'already_bound' }

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505'

/** Binds the identity to the user; refused when it is another user's, or the user has one at this service already. */
export async function bindIdentity (deps: Pick<Deps, 'db' | 'clock'>, user: { id: string, accountId: string }, service: AuthService, identity: Identity, ip: string): Promise<BindResult> {
  const now = deps.clock.now()
  try {
    return await deps.db.transaction().execute(async (trx): Promise<BindResult> => {
      const holder = await trx.selectFrom('external_identities').select('user_id')
        .where('issuer', '=', identity.issuer).where('subject', '=', identity.subject).executeTakeFirst()
      if (holder !== undefined && holder.user_id !== user.id) {
        await recordEvent(trx, { type: 'external_auth.bind_refused', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip, details: { service: service.id }, at: now })
        return { ok: false, reason: 'taken' }
      }
      if (holder !== undefined) return { ok: false, reason: 'already_bound' }
      await trx.insertInto('external_identities').values({ user_id: user.id, service: service.id, issuer: identity.issuer, subject: identity.subject, display: identity.display, bound_at: now }).execute()
      await recordEvent(trx, { type: 'external_auth.bound', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip, details: { service: service.id }, personal: { identity: identity.display }, at: now })
      return { ok: true }
    })
  } catch (err) {
    // A parallel bind of the same identity (or of this user at this service) committed first.
    if (!isUniqueViolation(err)) throw err
    const holder = await deps.db.selectFrom('external_identities').select('user_id').where('issuer', '=', identity.issuer).where('subject', '=', identity.subject).executeTakeFirst()
    return { ok: false, reason: holder !== undefined && holder.user_id !== user.id ? 'taken' : 'already_bound' }
  }
}

/**
 * Unbinds the user's identity at the service (its id, or the configured
 * service's issuer). actor null: the provider. False when none was bound.
 */
export async function unbindIdentity (deps: Pick<Deps, 'db' | 'clock'>, target: { id: string, accountId: string }, serviceId: string, service: AuthService | undefined, actor: { userId: string | null, ip: string | null }): Promise<boolean> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    if (!await deleteIdentity(trx, target.id, serviceId, service === undefined ? undefined : issuerOf(service))) return false
    await recordEvent(trx, { type: 'external_auth.unbound', accountId: target.accountId, actorUserId: actor.userId, targetUserId: target.id, ip: actor.ip, details: actor.userId === null ? { service: serviceId, by: 'provider' } : { service: serviceId }, at: now })
    return true
  })
}

export interface SignInCandidate { id: string, account_id: string, email: string, two_factor_enabled: boolean }
export type SignInResult = { ok: true, user: SignInCandidate } | { ok: false, reason: 'not_bound' | 'refused' }

/** Whether the password throttle refuses the address now (a lock or a back-off), read without counting. */
async function addressLocked (db: Kysely<DB>, email: string, now: Date): Promise<boolean> {
  const row = await db.selectFrom('limit_counters').select(['window_start', 'count', 'failures', 'last_at', 'locked_until'])
    .where('kind', '=', addressThrottleRule.kind).where('key', '=', counterKey(email.toLowerCase())).executeTakeFirst()
  if (row === undefined) return false
  return !admit(addressThrottleRule, { ...row, window_start: new Date(row.window_start), last_at: row.last_at === null ? null : new Date(row.last_at), locked_until: row.locked_until === null ? null : new Date(row.locked_until) }, now).ok
}

/** The user bound to the identity, if they may sign in; a refusal is recorded as a failed sign-in. */
export async function findSignInUser (deps: Pick<Deps, 'db' | 'clock'>, service: AuthService, identity: Identity, client: { ip: string, userAgent: string | null }): Promise<SignInResult> {
  const now = deps.clock.now()
  const user = await findIdentityHolder(deps.db, identity.issuer, identity.subject)
  if (user === undefined) return { ok: false, reason: 'not_bound' }
  const reason = user.status !== 'active' ? 'disabled' : await addressLocked(deps.db, user.email, now) ? 'throttled' : undefined
  if (reason === undefined) {
    // The binding shows the name or email the service gives now (it may have
    // changed there since the bind); not while the user's data is restricted
    // (read-only until lifted, SPEC §4.3).
    if (identity.display !== null && identity.display !== user.display && !user.restricted) await updateIdentityDisplay(deps.db, identity.issuer, identity.subject, identity.display)
    return { ok: true, user }
  }
  await deps.db.insertInto('login_attempts').values({ email: user.email.toLowerCase(), user_id: user.id, ip: client.ip, user_agent: client.userAgent?.slice(0, 512) ?? null, success: false, throttled: reason === 'throttled', created_at: now, service: service.id }).execute()
  await recordEvent(deps.db, { accountId: user.account_id, actorUserId: user.id, type: 'login.failed', ip: client.ip, details: { reason, service: service.id }, at: now })
  return { ok: false, reason: 'refused' }
}
