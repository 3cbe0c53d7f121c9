// Provider operations on any user by id, the first user included. No
// account rules apply: the provider is trusted. Each change and its event
// are one transaction; an id that is not a user's (another number, text)
// is not_found.
import type { Deps } from '../../types.ts'
import { recordEvent } from '../../lib/events.ts'
import { normalizeEmail, normalizeName } from '../../lib/forms.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import { removePhoneByProvider } from '../phone/index.ts'
import { clearIpListByProvider } from '../settings/index.ts'
import { resetTwoFactorByProvider } from '../two-factor/index.ts'
import { deleteUserRow, effectivePermissions } from '../users/index.ts'
import { emailTaken, isEmailTakenError, revokePendingLinks, selectUser, selectUsersByEmail, selectUsersPage, toProviderUser, updateUserFields, userIdOf } from './queries.ts'
import type { FindUserResult, PermissionsResult, ProviderCaller, ProviderDeps, ProviderUser, UpdateUserResult, UserChanges, UserOperationResult } from './results.ts'

const notFound = { ok: false, reason: 'not_found' } as const
/** The CLI: no client IP. */
const CLI: ProviderCaller = { ip: null }

export async function findUser (deps: ProviderDeps, id: string): Promise<FindUserResult> {
  const row = await selectUser(deps.db, id)
  return row === undefined ? notFound : { ok: true, user: toProviderUser(row) }
}

/** The users whose login is this address, in any case: none or one. */
export async function findUsersByEmail (deps: ProviderDeps, email: string): Promise<ProviderUser[]> {
  return (await selectUsersByEmail(deps.db, email)).map(toProviderUser)
}

/**
 * Every user of every account by id, or the one whose login is `email`:
 * at most `limit` after the user `after`, and `next` (the last id) when
 * more follow. An `after` that is no user id starts from the beginning.
 */
export async function listUsers (deps: ProviderDeps, opts: { email?: string, after?: string, limit: number }): Promise<{ users: ProviderUser[], next?: string }> {
  const after = opts.after === undefined ? undefined : userIdOf(opts.after)
  const rows = await selectUsersPage(deps.db, { email: opts.email, after, limit: opts.limit + 1 })
  const users = rows.slice(0, opts.limit).map(toProviderUser)
  return rows.length > opts.limit ? { users, next: users[users.length - 1]!.id } : { users }
}

const isStatus = (s: string): s is 'active' | 'disabled' => s === 'active' || s === 'disabled'

type Valid = { email?: string, name?: string, status?: 'active' | 'disabled' }

function validate (changes: UserChanges): { ok: true, values: Valid } | { ok: false, reason: 'invalid_email' | 'invalid_name' | 'invalid_status' } {
  const email = changes.email === undefined ? undefined : normalizeEmail(changes.email)
  if (changes.email !== undefined && email === undefined) return { ok: false, reason: 'invalid_email' }
  const name = changes.name === undefined ? undefined : normalizeName(changes.name)
  if (changes.name !== undefined && name === undefined) return { ok: false, reason: 'invalid_name' }
  const status = changes.status
  if (status !== undefined && !isStatus(status)) return { ok: false, reason: 'invalid_status' }
  return { ok: true, values: { email, name, status } }
}

/**
 * Changes a user's email, name and status at once (the API's PATCH), all or
 * nothing. Only what differs is changed and recorded: a new address revokes
 * the user's pending links (invitation, password reset, email change);
 * disabling ends every session. An address another user has is
 * email_taken, also when the other user takes it at the same moment.
 */
export async function updateUser (deps: ProviderDeps, id: string, changes: UserChanges, caller: ProviderCaller = CLI): Promise<UpdateUserResult> {
  const valid = validate(changes)
  if (!valid.ok) return valid
  const { email, name, status } = valid.values
  const now = deps.clock.now()
  try {
    return await deps.db.transaction().execute(async (trx): Promise<UpdateUserResult> => {
      const user = await selectUser(trx, id, { lock: true })
      if (user === undefined) return notFound
      const newEmail = email !== undefined && email !== user.email ? email : undefined
      if (newEmail !== undefined && await emailTaken(trx, newEmail, user.id)) return { ok: false, reason: 'email_taken' }
      const newName = name !== undefined && name !== user.full_name ? name : undefined
      const newStatus = status !== undefined && status !== user.status ? status : undefined
      if (newEmail !== undefined || newName !== undefined || newStatus !== undefined) {
        await updateUserFields(trx, user.id, { email: newEmail, fullName: newName, status: newStatus }, now)
      }
      const event = { accountId: user.account_id, actorUserId: null, targetUserId: user.id, ip: caller.ip, at: now }
      if (newEmail !== undefined) {
        await revokePendingLinks(trx, user.id, now)
        await recordEvent(trx, { ...event, type: 'user.email_changed', details: { by: 'provider' }, personal: { from: user.email, to: newEmail } })
      }
      if (newName !== undefined) await recordEvent(trx, { ...event, type: 'user.updated', details: { by: 'provider', nameChanged: true } })
      // A disabled user has no session: ended on every disable, even of a user already disabled.
      if (status === 'disabled') await endUserSessions(trx, user.id)
      if (newStatus !== undefined) await recordEvent(trx, { ...event, type: newStatus === 'disabled' ? 'user.disabled' : 'user.enabled', details: { by: 'provider' } })
      const after = await selectUser(trx, user.id)
      if (after === undefined) throw new Error(`user ${user.id} vanished while locked`)
      return { ok: true, user: toProviderUser(after) }
    })
  } catch (err) {
    // Another user's change to the same address committed first.
    if (isEmailTakenError(err)) return { ok: false, reason: 'email_taken' }
    throw err
  }
}

/** Deletes any user, the first user included; the account's other users stay. */
export async function deleteUser (deps: ProviderDeps, id: string, caller: ProviderCaller = CLI): Promise<UserOperationResult> {
  const user = await selectUser(deps.db, id)
  if (user === undefined) return notFound
  await deleteUserRow(deps, user.id, { accountId: user.account_id, actorUserId: null, ip: caller.ip })
  return { ok: true, userId: user.id }
}

/** A verified number the user can no longer reach. */
export async function removePhone (deps: ProviderDeps, id: string, caller: ProviderCaller = CLI): Promise<UserOperationResult> {
  const userId = userIdOf(id)
  if (userId === undefined || !await removePhoneByProvider(deps, userId, caller)) return notFound
  return { ok: true, userId }
}

/** A user who lost their authenticator and recovery codes: 2FA off, sessions ended. */
export async function resetTwoFactor (deps: ProviderDeps & Pick<Deps, 'jobs' | 'keys'>, id: string, caller: ProviderCaller = CLI): Promise<UserOperationResult> {
  const userId = userIdOf(id)
  if (userId === undefined || !await resetTwoFactorByProvider(deps, userId, caller)) return notFound
  return { ok: true, userId }
}

/** A user locked out by their own IP list (Main settings): access from any IP again, the list emptied. */
export async function clearIpList (deps: ProviderDeps, id: string, caller: ProviderCaller = CLI): Promise<UserOperationResult> {
  const userId = userIdOf(id)
  if (userId === undefined || !await clearIpListByProvider(deps, userId, caller)) return notFound
  return { ok: true, userId }
}

/** What the billing front end shows the user: Full access (the first user too) or the permissions held. */
export async function permissionsOf (deps: ProviderDeps & Pick<Deps, 'pool'>, id: string): Promise<PermissionsResult> {
  const userId = userIdOf(id)
  const effective = userId === undefined ? undefined : await effectivePermissions(deps, userId)
  if (userId === undefined || effective === undefined) return notFound
  return { ok: true, userId, ...effective }
}
