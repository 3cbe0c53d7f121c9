import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { epochMs } from '../../db/epoch-ms.ts'
import type { Pool } from 'pg'
import { fetchPage, type Page, type PageRequest, type Statement } from '../../lib/keyset.ts'
import type { EraseStep } from '../../lib/personal-data.ts'

export interface UserRow {
  id: string
  email: string
  full_name: string
  status: 'active' | 'disabled'
  is_owner: boolean
  full_access: boolean
  two_factor_enabled: boolean
  last_login_at: Date | null
  phone: string | null
  phone_verified: boolean
  language: string
}

const columns = ['id', 'email', 'full_name', 'status', 'is_owner', 'full_access', 'two_factor_enabled', 'last_login_at', 'phone', 'phone_verified', 'language'] as const

/** A user of this account; undefined for an unknown id or a user of another account. */
export async function findAccountUser (db: Kysely<DB>, accountId: string, id: string): Promise<UserRow | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined
  return await db.selectFrom('users').select(columns).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst()
}

export interface UserListRow {
  id: string
  email: string
  full_name: string
  status: 'active' | 'disabled'
  is_owner: boolean
  two_factor_enabled: boolean
  /** last_login_at in epoch milliseconds (a number parses faster than a timestamp). */
  last_login_ms: number | null
  /** No password set yet: the user was invited. */
  invited: boolean
  /** When the newest live invitation link expires (epoch ms), for an invited user. */
  invite_expires_ms: number | null
  /** The avatar's file name, null for the default (initials). */
  avatar: string | null
}

// One page of the account's users, owner first, then by email (unique, so a
// total order): read off users_account_list_idx, reversed for a backward page.
// The cursor row is read by its primary key (a materialized CTE: planned on
// its own, so a cached generic plan cannot trade the key for a scan of the
// account) and must be of the account, so another account's id finds nothing.
// One SQL text per kind of page, each a named prepared statement. The
// avatar is the users row's copy (users.avatar_file, kept by a trigger).
const usersPageSql = Object.fromEntries((['first', 'last', 'after', 'before'] as const).map((from) => {
  const dir = from === 'last' || from === 'before' ? 'desc' : 'asc'
  const cursor = from === 'after' || from === 'before'
  const head = cursor ? 'with cursor_row as materialized (select not c.is_owner as not_owner, lower(c.email) as email, c.account_id from users c where c.id = $2)\n  ' : ''
  const after = cursor
    ? ` and (not u.is_owner, lower(u.email)) ${from === 'after' ? '>' : '<'} (select k.not_owner, k.email from cursor_row k where k.account_id = $1)`
    : ''
  return [from, `${head}select u.id, u.email, u.full_name, u.status, u.is_owner, u.two_factor_enabled,
    ${epochMs('u.last_login_at')} as last_login_ms,
    u.password_hash is null as invited,
    case when u.password_hash is null then (select ${epochMs('max(t.expires_at)')} from tokens t
      where t.user_id = u.id and t.purpose = 'invite' and t.used_at is null) end as invite_expires_ms,
    u.avatar_file as avatar
  from users u where u.account_id = $1${after}
  order by not u.is_owner ${dir}, lower(u.email) ${dir} limit $${cursor ? 3 : 2}`]
})) as Record<PageRequest['from'], string>

export function usersPageStatement (accountId: string, page: PageRequest, limit: number): Statement {
  const values = page.from === 'after' || page.from === 'before' ? [accountId, page.id, limit] : [accountId, limit]
  return { name: `users_page_${page.from}`, text: usersPageSql[page.from], values }
}

export async function listAccountUsers (pool: Pool, accountId: string, page: PageRequest, limit: number): Promise<Page<UserListRow>> {
  return await fetchPage(page, limit, async (p, n) => (await pool.query<UserListRow>(usersPageStatement(accountId, p, n))).rows)
}

export async function permissionsOf (db: Kysely<DB>, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_permissions').select('permission').where('user_id', '=', userId).orderBy('permission').execute()
  return rows.map((r) => r.permission)
}

/** Who has this address as their login, if anyone. */
export async function emailHolder (db: Kysely<DB>, email: string): Promise<{ id: string, account_id: string, language: string } | undefined> {
  return await db.selectFrom('users').select(['id', 'account_id', 'language']).where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst()
}

export async function pendingEmailChange (db: Kysely<DB>, userId: string, now: Date): Promise<string | undefined> {
  const row = await db.selectFrom('tokens').select('data').where('user_id', '=', userId).where('purpose', '=', 'email_change')
    .where('used_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').executeTakeFirst()
  return row?.data.email
}

export interface NewUserRow { accountId: string, email: string, fullName: string, phone: string | null, passwordHash: string | null, fullAccess: boolean, language: string }

export async function insertUser (db: Kysely<DB>, user: NewUserRow): Promise<{ id: string }> {
  return await db.insertInto('users').values({
    account_id: user.accountId,
    email: user.email,
    full_name: user.fullName,
    phone: user.phone,
    password_hash: user.passwordHash,
    full_access: user.fullAccess,
    language: user.language
  }).returning('id').executeTakeFirstOrThrow()
}

/** The permissions of a new user (none may exist yet). */
export async function insertPermissions (db: Kysely<DB>, userId: string, permissions: string[]): Promise<void> {
  await db.insertInto('user_permissions').values(permissions.map((permission) => ({ user_id: userId, permission }))).execute()
}

/** Adds these permissions; those already held stay as they are. */
export async function grantPermissions (db: Kysely<DB>, userId: string, permissions: string[]): Promise<void> {
  await db.insertInto('user_permissions').values(permissions.map((permission) => ({ user_id: userId, permission })))
    .onConflict((oc) => oc.doNothing()).execute()
}

export async function revokePermissions (db: Kysely<DB>, userId: string, permissions: string[]): Promise<void> {
  await db.deleteFrom('user_permissions').where('user_id', '=', userId).where('permission', 'in', permissions).execute()
}

/** The full name, and the phone when `phone` is given (it is then Not verified). */
export async function updateNameAndPhone (db: Kysely<DB>, userId: string, changes: { fullName: string, phone?: string | null }, now: Date): Promise<void> {
  await db.updateTable('users').set({
    full_name: changes.fullName,
    ...(changes.phone !== undefined ? { phone: changes.phone, phone_verified: false } : {}),
    updated_at: now
  }).where('id', '=', userId).execute()
}

export async function setUserStatus (db: Kysely<DB>, userId: string, status: 'active' | 'disabled', now: Date): Promise<void> {
  await db.updateTable('users').set({ status, updated_at: now }).where('id', '=', userId).execute()
}

export async function updateFullAccess (db: Kysely<DB>, userId: string, on: boolean, now: Date): Promise<void> {
  await db.updateTable('users').set({ full_access: on, updated_at: now }).where('id', '=', userId).execute()
}

/** Deletes the user (their sessions, links and permissions go by cascade): who it was, or undefined if already gone. */
export async function deleteUserById (db: Kysely<DB>, userId: string): Promise<{ email: string, full_name: string } | undefined> {
  return await db.deleteFrom('users').where('id', '=', userId).returning(['email', 'full_name']).executeTakeFirst()
}

/** Whether the user is the owner or has Full access; undefined for no such user. */
export async function findAccessFlags (db: Kysely<DB>, userId: string): Promise<{ is_owner: boolean, full_access: boolean } | undefined> {
  return await db.selectFrom('users').select(['is_owner', 'full_access']).where('id', '=', userId).executeTakeFirst()
}

/** Sets the login address of an active user other than the owner: the account and new address, or undefined. */
export async function setUserEmail (db: Kysely<DB>, userId: string, email: string, now: Date): Promise<{ account_id: string, email: string } | undefined> {
  return await db.updateTable('users').set({ email, updated_at: now })
    .where('id', '=', userId).where('is_owner', '=', false).where('status', '=', 'active')
    .returning(['account_id', 'email']).executeTakeFirst()
}

/** The asker of an email change, if of the target's account: status, owner, Full access and whether they hold users.manage. */
export async function findEmailChangeAsker (db: Kysely<DB>, askerId: string, targetId: string) {
  return await db.selectFrom('users as a').innerJoin('users as t', 't.account_id', 'a.account_id')
    .select(['a.is_owner', 'a.full_access', 'a.status'])
    .select((eb) => eb.exists(eb.selectFrom('user_permissions').select('permission').whereRef('user_id', '=', 'a.id').where('permission', '=', 'users.manage')).as('manage'))
    .where('a.id', '=', askerId).where('t.id', '=', targetId).executeTakeFirst()
}

/** Locks the user's row for the transaction and says whether they are still invited (no password set yet). */
export async function lockInvitedUser (db: Kysely<DB>, userId: string): Promise<boolean | undefined> {
  const row = await db.selectFrom('users').select(sql<boolean>`password_hash is null`.as('invited'))
    .where('id', '=', userId).where('status', '=', 'active').forUpdate().executeTakeFirst()
  return row?.invited
}

/** A completed deletion (privacy feature): pending invitations, password resets and email changes (their tokens hold addresses). */
export const eraseTokens: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('tokens').where('user_id', '=', subject.id).execute()
}
