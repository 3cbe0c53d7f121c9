import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { fetchPage, isBackward, type Page, type PageRequest } from '../../lib/keyset.ts'

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
  return await db.selectFrom('users').select(columns).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst() as UserRow | undefined
}

export interface UserListRow {
  id: string
  email: string
  full_name: string
  status: 'active' | 'disabled'
  is_owner: boolean
  two_factor_enabled: boolean
  last_login_at: Date | null
}

/**
 * One page of the account's users, owner first, then by email (unique, so a
 * total order): read off users_account_list_idx, reversed for a backward
 * page. The cursor row is looked up within the account, so another account's
 * id finds nothing.
 */
export function usersPageQuery (db: Kysely<DB>, accountId: string, page: PageRequest, limit: number) {
  const backward = isBackward(page)
  let q = db.selectFrom('users as u')
    .select(['u.id', 'u.email', 'u.full_name', 'u.status', 'u.is_owner', 'u.two_factor_enabled', 'u.last_login_at'])
    .where('u.account_id', '=', accountId)
  if (page.from === 'after' || page.from === 'before') {
    const cursor = sql`(select not c.is_owner, lower(c.email) from users c where c.id = ${page.id} and c.account_id = ${accountId})`
    q = q.where(page.from === 'after' ? sql<boolean>`(not u.is_owner, lower(u.email)) > ${cursor}` : sql<boolean>`(not u.is_owner, lower(u.email)) < ${cursor}`)
  }
  const dir = backward ? 'desc' : 'asc'
  return q.orderBy(sql`not u.is_owner`, dir).orderBy(sql`lower(u.email)`, dir).limit(limit)
}

export async function listAccountUsers (db: Kysely<DB>, accountId: string, page: PageRequest, limit: number): Promise<Page<UserListRow>> {
  return await fetchPage(page, limit, async (p, n) => await usersPageQuery(db, accountId, p, n).execute() as UserListRow[])
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
