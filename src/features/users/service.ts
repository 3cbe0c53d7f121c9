// Client → Users (SPEC §5). Rules every operation here keeps:
// - a user of another account, or an unknown id, is "not_found" (404);
// - nobody changes the first user (owner), nor disables, deletes or changes
//   the permissions of themselves;
// - nobody acts on a user who holds a permission they do not hold (a Full
//   access user included): changing that user's email and resetting the
//   password would hand the actor those permissions;
// - nobody grants (or takes away) a permission they do not hold; Full access
//   is changed only by a user who has it; a Full access user is not
//   restricted until Full access is removed;
// - a disabled or deleted user's sessions end in the same transaction;
// - every change writes an audit entry and queues its mail (lib/deliveries) in the same transaction;
// - an address that is the login of a user of ANOTHER account is answered
//   as if it were free (the account learns nothing about other accounts):
//   its holder gets a notice instead of a link, and nothing is created.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { type EventOf, recordEvent } from '../../lib/events.ts'
import { can, type CurrentUser } from '../../lib/current-user.ts'
import { notify, notifyAddress } from '../../lib/deliveries/index.ts'
import { addSeconds } from '../../lib/clock.ts'
import { hashPassword } from '../../lib/passwords.ts'
import { issueToken, revokeTokens } from '../../lib/tokens.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import type { Deps } from '../../types.ts'
import { INVITE_TTL_SECONDS } from '../auth/index.ts'
import { dropCodes } from '../phone/index.ts'
import { deleteUserById, emailHolder, findAccountUser, insertPermissions, insertUser, permissionsOf, setUserStatus, updateNameAndPhone, type UserRow } from './queries.ts'

export const EMAIL_CHANGE_TTL_SECONDS = 24 * 3600

export type Refusal = 'not_found' | 'owner' | 'self' | 'not_held' | 'full_access' | 'unknown_permission'
export type Outcome<T = object> = ({ ok: true } & T) | { ok: false, reason: Refusal }

export interface Client { ip: string }

/** An event done by a user of the account, from the request's client. */
export function audit (trx: Kysely<DB>, actor: CurrentUser, client: Client, at: Date, event: EventOf): Promise<void> {
  return recordEvent(trx, { ...event, accountId: actor.accountId, actorUserId: actor.id, ip: client.ip, at })
}

/** Loads the target and checks the rules shared by every change to another user. */
export async function targetFor (deps: Deps, actor: CurrentUser, id: string, opts: { allowSelf?: boolean } = {}): Promise<Outcome<{ target: UserRow }>> {
  const target = await findAccountUser(deps.db, actor.accountId, id)
  if (target === undefined) return { ok: false, reason: 'not_found' }
  if (target.is_owner) return { ok: false, reason: 'owner' }
  if (target.id === actor.id && opts.allowSelf !== true) return { ok: false, reason: 'self' }
  if (!actor.isOwner && !actor.fullAccess && target.id !== actor.id) {
    if (target.full_access) return { ok: false, reason: 'not_held' }
    const held = await permissionsOf(deps.db, target.id)
    if (held.some((p) => !can(actor, p))) return { ok: false, reason: 'not_held' }
  }
  return { ok: true, target }
}

export interface NewUser { email: string, fullName: string, phone: string | null, password: string | null, fullAccess: boolean, permissions: string[] }

/** Tools → Add a new user. Without a password, an invitation valid 7 days; with one, active at once. */
export async function addUser (deps: Deps, actor: CurrentUser, input: NewUser, client: Client): Promise<Outcome<{ userId: string | null }> | { ok: false, reason: 'email_taken' }> {
  const held = checkGrant(deps, actor, input.permissions, input.fullAccess)
  if (held !== undefined) return { ok: false, reason: held }
  const holder = await emailHolder(deps.db, input.email)
  if (holder !== undefined && holder.account_id === actor.accountId) return { ok: false, reason: 'email_taken' }
  if (holder !== undefined) {
    // Same work as a real add, so that the answer's timing tells nothing either.
    if (input.password !== null) await hashPassword(input.password)
    await deps.db.transaction().execute(async (trx) => { await noticeAddressInUse({ ...deps, db: trx }, holder, 'add') })
    return { ok: true, userId: null }
  }
  const hash = input.password === null ? null : await hashPassword(input.password)
  const now = deps.clock.now()
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const user = await insertUser(trx, { accountId: actor.accountId, email: input.email, fullName: input.fullName, phone: input.phone, passwordHash: hash, fullAccess: input.fullAccess, language: actor.language })
      if (!input.fullAccess && input.permissions.length > 0) await insertPermissions(trx, user.id, input.permissions)
      await audit(trx, actor, client, now, { type: 'user.created', targetUserId: user.id, details: { invited: hash === null, fullAccess: input.fullAccess, permissions: input.permissions.join(' ') }, personal: { email: input.email } })
      // In the new user's language, which is the inviter's.
      if (hash === null) {
        const token = await issueToken(trx, user.id, 'invite', now, INVITE_TTL_SECONDS)
        await notify(deps, trx, user.id, 'invite', { inviter: actor.fullName, link: `${deps.config.linkBase}password/reset/${token}` }, { expiresAt: addSeconds(now, INVITE_TTL_SECONDS) })
      } else {
        await notify(deps, trx, user.id, 'welcome', { inviter: actor.fullName })
      }
      return { ok: true as const, userId: user.id }
    })
  } catch (err) {
    // Two adds of one address at once: the unique index decides.
    if ((err as { code?: string }).code === '23505') return { ok: false, reason: 'email_taken' }
    throw err
  }
}

export interface UserEdit { fullName: string, phone: string | null, email: string }

/**
 * Edit: full name and phone at once; a new email only after the new address
 * confirms a link (the old address is told now).
 */
export async function updateUser (deps: Deps, actor: CurrentUser, id: string, input: UserEdit, client: Client): Promise<Outcome<{ emailPending: boolean }> | { ok: false, reason: 'email_taken' }> {
  const found = await targetFor(deps, actor, id)
  if (!found.ok) return found
  const { target } = found
  const emailChanges = input.email !== target.email.toLowerCase()
  const holder = emailChanges ? await emailHolder(deps.db, input.email) : undefined
  if (holder !== undefined && holder.account_id === actor.accountId) return { ok: false, reason: 'email_taken' }
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const phoneChanges = input.phone !== target.phone
    await updateNameAndPhone(trx, target.id, { fullName: input.fullName, ...(phoneChanges ? { phone: input.phone } : {}) }, now)
    if (phoneChanges) await dropCodes(trx, target.id)
    await audit(trx, actor, client, now, { type: 'user.updated', targetUserId: target.id, details: { nameChanged: input.fullName !== target.full_name, phoneChanged: phoneChanges } })
    if (!emailChanges) return
    await revokeTokens(trx, target.id, 'email_change', now)
    // Who asked rides with the link: it stops working if they lose the right to ask.
    const token = await issueToken(trx, target.id, 'email_change', now, EMAIL_CHANGE_TTL_SECONDS, { email: input.email, by: actor.id })
    const params = { old: target.email, new: input.email, actor: actor.fullName }
    // The address is another account's login: it gets a notice, not the link,
    // and the change stays pending as any unconfirmed one does. Both mails
    // are in the target's language.
    if (holder !== undefined) await noticeAddressInUse({ ...deps, db: trx }, holder, 'change')
    else {
      await notifyAddress(deps, trx, { channel: 'mail', address: input.email, userId: target.id }, 'email_change_confirm',
        { ...params, link: `${deps.config.linkBase}email/confirm/${token}` }, { expiresAt: addSeconds(now, EMAIL_CHANGE_TTL_SECONDS) })
    }
    await notify(deps, trx, target.id, 'email_change_notice', params)
    await audit(trx, actor, client, now, { type: 'user.email_change_requested', targetUserId: target.id, personal: { from: target.email, to: input.email } })
  })
  return { ok: true, emailPending: emailChanges }
}

/**
 * Tells the holder of an address (it is their login) that someone in
 * another account tried to use it, in the holder's language; audited in the
 * holder's account. No text typed by the other account goes into the mail.
 * deps.db: the caller's transaction.
 */
async function noticeAddressInUse (deps: Deps, holder: { id: string, account_id: string }, kind: 'add' | 'change'): Promise<void> {
  await notify(deps, deps.db, holder.id, kind === 'add' ? 'address_in_use_add' : 'address_in_use_change', {})
  await recordEvent(deps.db, { accountId: holder.account_id, actorUserId: null, targetUserId: holder.id, type: 'user.address_use_refused', ip: null, details: { kind }, at: deps.clock.now() })
}

/** The new address of an email change, if the link is still good. */
/** Enable or Disable: a disabled user's sessions end at once. */
export async function setStatus (deps: Deps, actor: CurrentUser, id: string, status: 'active' | 'disabled', client: Client): Promise<Outcome> {
  const found = await targetFor(deps, actor, id)
  if (!found.ok) return found
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await setUserStatus(trx, found.target.id, status, now)
    if (status === 'disabled') await endUserSessions(trx, found.target.id)
    await audit(trx, actor, client, now, { type: status === 'disabled' ? 'user.disabled' : 'user.enabled', targetUserId: found.target.id, details: {}, personal: { email: found.target.email } })
  })
  return { ok: true }
}

/** Delete: the user, their sessions, links and permissions go; the audit keeps who it was. */
export async function deleteUser (deps: Deps, actor: CurrentUser, id: string, client: Client): Promise<Outcome> {
  const found = await targetFor(deps, actor, id)
  if (!found.ok) return found
  await deleteUserRow(deps, found.target.id, { accountId: actor.accountId, actorUserId: actor.id, ip: client.ip })
  return { ok: true }
}

export async function deleteUserRow (deps: Pick<Deps, 'db' | 'clock'>, userId: string, by: { accountId: string, actorUserId: string | null, ip: string | null }): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const row = await deleteUserById(trx, userId)
    if (row === undefined) return
    await recordEvent(trx, { accountId: by.accountId, actorUserId: by.actorUserId, targetUserId: null, type: 'user.deleted', ip: by.ip, personalOf: userId, details: { userId }, personal: { email: row.email, name: row.full_name }, at: now })
  })
}

/** Why the actor may not grant these, or undefined. */

/** Whether the actor may grant (or take away) these permissions and Full access: the refusal, or undefined. */
export function checkGrant (deps: Deps, actor: CurrentUser, permissions: string[], fullAccess: boolean): Refusal | undefined {
  if (permissions.some((p) => !deps.config.permissionCatalog.keys.has(p))) return 'unknown_permission'
  if (fullAccess && !(actor.isOwner || actor.fullAccess)) return 'not_held'
  if (permissions.some((p) => !can(actor, p))) return 'not_held'
  return undefined
}
