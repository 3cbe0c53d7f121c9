// A user's permissions and Full access (SPEC §5): nobody grants or takes
// away a permission they do not hold; Full access is changed only by a user
// who has it. Sessions of the changed user rotate in the same transaction.
import type { CurrentUser } from '../../lib/current-user.ts'
import { rotateUserSessions } from '../../lib/sessions.ts'
import type { Deps } from '../../types.ts'
import { grantPermissions, revokePermissions, updateFullAccess } from './queries.ts'
import { audit, checkGrant, type Client, type Outcome, targetFor } from './service.ts'


/** Permissions page: Enable or Disable the chosen permissions. */
export async function changePermissions (deps: Deps, actor: CurrentUser, id: string, permissions: string[], enable: boolean, client: Client): Promise<Outcome> {
  const found = await targetFor(deps, actor, id)
  if (!found.ok) return found
  const refused = checkGrant(deps, actor, permissions, false)
  if (refused !== undefined) return { ok: false, reason: refused }
  if (found.target.full_access) return { ok: false, reason: 'full_access' }
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    if (enable) await grantPermissions(trx, found.target.id, permissions)
    else await revokePermissions(trx, found.target.id, permissions)
    await rotateUserSessions(trx, found.target.id)
    await audit(trx, actor, client, now, { type: 'permissions.changed', targetUserId: found.target.id, details: enable ? { enabled: permissions.join(' ') } : { disabled: permissions.join(' ') } })
  })
  return { ok: true }
}

/** Grant or remove Full access: only a user who has it. */
export async function setFullAccess (deps: Deps, actor: CurrentUser, id: string, on: boolean, client: Client): Promise<Outcome> {
  const found = await targetFor(deps, actor, id)
  if (!found.ok) return found
  if (!(actor.isOwner || actor.fullAccess)) return { ok: false, reason: 'not_held' }
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await updateFullAccess(trx, found.target.id, on, now)
    await rotateUserSessions(trx, found.target.id)
    await audit(trx, actor, client, now, { type: 'permissions.full_access', targetUserId: found.target.id, details: { fullAccess: on } })
  })
  return { ok: true }
}

// effectivePermissions' statement; the provider API's references in `npm run bench` run it too.
export const EFFECTIVE_PERMISSIONS_SQL = 'select u.is_owner or u.full_access as full, u.permissions as held from users u where u.id = $1'

/** A user's effective permissions (provider CLI and API). */
// One round trip (the provider API's billing front end asks on every page):
// the flags and the permissions held together, from the user's row alone
// (users.permissions, the trigger-kept copy of user_permissions), on a named
// prepared statement.
export async function effectivePermissions (deps: Pick<Deps, 'pool' | 'config'>, userId: string): Promise<{ fullAccess: boolean, permissions: string[] } | undefined> {
  const { rows } = await deps.pool.query<{ full: boolean, held: string[] }>({ name: 'effective_permissions', text: EFFECTIVE_PERMISSIONS_SQL, values: [userId] })
  const user = rows[0]
  if (user === undefined) return undefined
  const held = user.full ? [...deps.config.permissionCatalog.keys] : user.held.filter((p) => deps.config.permissionCatalog.keys.has(p))
  return { fullAccess: user.full, permissions: held.sort() }
}
