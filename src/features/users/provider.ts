// Provider operations on any user, the first user included (CLI, later the
// provider API). No account rules apply here: the provider is trusted.
import { recordEvent } from '../../lib/events.ts'
import { normalizeEmail, normalizeName } from '../../lib/forms.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import type { Deps } from '../../types.ts'
import { findUserByEmail } from '../auth/queries.ts'
import { emailHolder } from './queries.ts'
import { deleteUserRow } from './service.ts'

type ProviderDeps = Pick<Deps, 'db' | 'clock'>
export type ProviderResult = { ok: true, userId: string } | { ok: false, error: string }

async function find (deps: ProviderDeps, email: string) {
  const user = await findUserByEmail(deps.db, email)
  return user === undefined ? { ok: false as const, error: `--email: no user has the email ${email}` } : { ok: true as const, user }
}

export async function providerSetEmail (deps: ProviderDeps, email: string, to: string): Promise<ProviderResult> {
  const found = await find(deps, email)
  if (!found.ok) return found
  const next = normalizeEmail(to)
  if (next === undefined) return { ok: false, error: `--to: "${to}" is not an email address` }
  if (next !== found.user.email.toLowerCase() && await emailHolder(deps.db, next) !== undefined) return { ok: false, error: `--to: ${next} is already used by another user` }
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ email: next, updated_at: now }).where('id', '=', found.user.id).execute()
    await trx.updateTable('tokens').set({ used_at: now }).where('user_id', '=', found.user.id).where('used_at', 'is', null).execute()
    await recordEvent(trx, { accountId: found.user.account_id, actorUserId: null, targetUserId: found.user.id, type: 'user.email_changed', ip: null, details: { by: 'provider' }, personal: { from: found.user.email, to: next }, at: now })
  })
  return { ok: true, userId: found.user.id }
}

export async function providerSetName (deps: ProviderDeps, email: string, name: string): Promise<ProviderResult> {
  const found = await find(deps, email)
  if (!found.ok) return found
  const fullName = normalizeName(name)
  if (fullName === undefined) return { ok: false, error: '--name: give a full name of 1 to 200 characters on one line' }
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ full_name: fullName, updated_at: now }).where('id', '=', found.user.id).execute()
    await recordEvent(trx, { accountId: found.user.account_id, actorUserId: null, targetUserId: found.user.id, type: 'user.updated', ip: null, details: { by: 'provider', nameChanged: true }, at: now })
  })
  return { ok: true, userId: found.user.id }
}

export async function providerSetStatus (deps: ProviderDeps, email: string, status: 'active' | 'disabled'): Promise<ProviderResult> {
  const found = await find(deps, email)
  if (!found.ok) return found
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ status, updated_at: now }).where('id', '=', found.user.id).execute()
    if (status === 'disabled') await endUserSessions(trx, found.user.id)
    const type = status === 'disabled' ? 'user.disabled' as const : 'user.enabled' as const
    await recordEvent(trx, { accountId: found.user.account_id, actorUserId: null, targetUserId: found.user.id, type, ip: null, details: { by: 'provider' }, at: now })
  })
  return { ok: true, userId: found.user.id }
}

/** Deletes any user, the first user included; the account's other users stay. */
export async function providerDelete (deps: ProviderDeps, email: string): Promise<ProviderResult> {
  const found = await find(deps, email)
  if (!found.ok) return found
  await deleteUserRow(deps, found.user.id, { accountId: found.user.account_id, actorUserId: null, ip: null })
  return { ok: true, userId: found.user.id }
}
