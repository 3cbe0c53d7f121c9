import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Pool } from 'pg'
import { fetchPage, type Page, type PageRequest, type Statement } from '../../lib/keyset.ts'

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
}

// One page of the account's users, owner first, then by email (unique, so a
// total order): read off users_account_list_idx, reversed for a backward page.
// The cursor row is read by its primary key (a materialized CTE: planned on
// its own, so a cached generic plan cannot trade the key for a scan of the
// account) and must be of the account, so another account's id finds nothing.
// One SQL text per kind of page, each a named prepared statement.
const usersPageSql = Object.fromEntries((['first', 'last', 'after', 'before'] as const).map((from) => {
  const dir = from === 'last' || from === 'before' ? 'desc' : 'asc'
  const cursor = from === 'after' || from === 'before'
  const head = cursor ? 'with cursor_row as materialized (select not c.is_owner as not_owner, lower(c.email) as email, c.account_id from users c where c.id = $2)\n  ' : ''
  const after = cursor
    ? ` and (not u.is_owner, lower(u.email)) ${from === 'after' ? '>' : '<'} (select k.not_owner, k.email from cursor_row k where k.account_id = $1)`
    : ''
  return [from, `${head}select u.id, u.email, u.full_name, u.status, u.is_owner, u.two_factor_enabled,
    (extract(epoch from u.last_login_at) * 1000)::float8 as last_login_ms
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
