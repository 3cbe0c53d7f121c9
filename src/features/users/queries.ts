import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'

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

export async function listAccountUsers (db: Kysely<DB>, accountId: string, limit: number, offset: number): Promise<{ rows: UserRow[], total: number }> {
  const rows = await db.selectFrom('users').select(columns).where('account_id', '=', accountId)
    .orderBy('is_owner', 'desc').orderBy(sql`lower(email)`).limit(limit).offset(offset).execute() as UserRow[]
  const total = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()
  return { rows, total: Number(total.n) }
}

export async function permissionsOf (db: Kysely<DB>, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_permissions').select('permission').where('user_id', '=', userId).orderBy('permission').execute()
  return rows.map((r) => r.permission)
}

export async function emailTaken (db: Kysely<DB>, email: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst()
  return row !== undefined
}

export async function pendingEmailChange (db: Kysely<DB>, userId: string, now: Date): Promise<string | undefined> {
  const row = await db.selectFrom('tokens').select('data').where('user_id', '=', userId).where('purpose', '=', 'email_change')
    .where('used_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').executeTakeFirst()
  return row?.data.email
}
