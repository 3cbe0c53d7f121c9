import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { ProviderUser } from './results.ts'

const columns = ['id', 'account_id', 'email', 'full_name', 'phone', 'phone_verified', 'status', 'is_owner', 'two_factor_enabled', 'last_login_at'] as const

interface Row {
  id: string
  account_id: string
  email: string
  full_name: string
  phone: string | null
  phone_verified: boolean
  status: 'active' | 'disabled'
  is_owner: boolean
  two_factor_enabled: boolean
  last_login_at: Date | null
}

/**
 * The id as stored (no leading zeros), or undefined when the text cannot be
 * a user id at all: that is simply not found (a bigint cast of "abc" or of
 * 20 digits would be a database error).
 */
export function userIdOf (id: string): string | undefined {
  return /^\d{1,18}$/.test(id) ? id.replace(/^0+(?=\d)/, '') : undefined
}

export function toProviderUser (row: Row): ProviderUser {
  return {
    id: row.id,
    accountId: row.account_id,
    email: row.email,
    name: row.full_name,
    phone: row.phone,
    phoneVerified: row.phone_verified,
    status: row.status,
    owner: row.is_owner,
    twoFactor: row.two_factor_enabled,
    lastLoginAt: row.last_login_at?.toISOString() ?? null
  }
}

/** The user by id; `lock` holds the row until the caller's transaction ends. */
export async function selectUser (db: Kysely<DB>, id: string, opts: { lock?: boolean } = {}): Promise<Row | undefined> {
  const userId = userIdOf(id)
  if (userId === undefined) return undefined
  let q = db.selectFrom('users').select(columns).where('id', '=', userId)
  if (opts.lock === true) q = q.forUpdate()
  return await q.executeTakeFirst()
}

/** Users whose login is this address, compared case-insensitively (at most one: users_email_key). */
export async function selectUsersByEmail (db: Kysely<DB>, email: string): Promise<Row[]> {
  return await db.selectFrom('users').select(columns).where(sql`lower(email)`, '=', email.trim().toLowerCase()).orderBy('id').execute()
}

/** At most `limit` users after the id `after`, by id; only the one whose login is `email` when given. */
export async function selectUsersPage (db: Kysely<DB>, opts: { email?: string, after?: string, limit: number }): Promise<Row[]> {
  let q = db.selectFrom('users').select(columns)
  if (opts.email !== undefined) q = q.where(sql`lower(email)`, '=', opts.email.trim().toLowerCase())
  if (opts.after !== undefined) q = q.where('id', '>', opts.after)
  return await q.orderBy('id').limit(opts.limit).execute()
}

/** Whether another user than `exceptId` has this address as their login. */
export async function emailTaken (db: Kysely<DB>, email: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('users').select('id').where(sql`lower(email)`, '=', email.toLowerCase())
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId)
  return await q.executeTakeFirst() !== undefined
}

export interface UserFields { email?: string, fullName?: string, status?: 'active' | 'disabled' }

/** Sets the fields given; those left undefined are not touched. */
export async function updateUserFields (db: Kysely<DB>, userId: string, fields: UserFields, now: Date): Promise<void> {
  await db.updateTable('users').set({ email: fields.email, full_name: fields.fullName, status: fields.status, updated_at: now }).where('id', '=', userId).execute()
}

/** Marks every unused link of the user used (invitation, password reset, email change). */
export async function revokePendingLinks (db: Kysely<DB>, userId: string, now: Date): Promise<void> {
  await db.updateTable('tokens').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute()
}

export async function insertAccount (db: Kysely<DB>): Promise<{ id: string }> {
  return await db.insertInto('accounts').defaultValues().returning('id').executeTakeFirstOrThrow()
}

/** The first user of a new account: the owner. */
export async function insertOwner (db: Kysely<DB>, accountId: string, email: string, fullName: string, passwordHash: string | null): Promise<{ id: string }> {
  return await db.insertInto('users').values({ account_id: accountId, email, full_name: fullName, password_hash: passwordHash, is_owner: true })
    .returning('id').executeTakeFirstOrThrow()
}

/** A unique violation of the login address index: another user took the address first. */
export function isEmailTakenError (err: unknown): boolean {
  const e = err as { code?: string, constraint?: string }
  return e.code === '23505' && e.constraint === 'users_email_key'
}
