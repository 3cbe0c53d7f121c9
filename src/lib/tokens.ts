// Single-use links (reset, invite, ...): 128 random bits, only their SHA-256
// stored, consumed by one conditional UPDATE so that two requests with the
// same token cannot both succeed.
import { hash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { addSeconds } from './clock.ts'

export type TokenPurpose = 'password_reset' | 'invite' | 'email_change' | 'telegram-link' | 'sso'

export function randomToken (): string {
  return randomBytes(16).toString('base64url')
}

export function sha256 (value: string): string {
  return hash('sha256', value, 'hex')
}

export async function issueToken (db: Kysely<DB>, userId: string, purpose: TokenPurpose, now: Date, ttlSeconds: number, data: Record<string, string> = {}): Promise<string> {
  const token = randomToken()
  await db.insertInto('tokens').values({
    id: sha256(token), user_id: userId, purpose, created_at: now, expires_at: addSeconds(now, ttlSeconds), data: JSON.stringify(data)
  }).execute()
  return token
}

/** The user a live token belongs to, without using it up. */
export async function peekToken (db: Kysely<DB>, token: string, purpose: TokenPurpose, now: Date): Promise<string | undefined> {
  return (await peekTokenWithData(db, token, purpose, now))?.userId
}

export async function peekTokenWithData (db: Kysely<DB>, token: string, purpose: TokenPurpose, now: Date): Promise<{ userId: string, data: Record<string, string> } | undefined> {
  const row = await db.selectFrom('tokens').select(['user_id', 'data'])
    .where('id', '=', sha256(token)).where('purpose', '=', purpose)
    .where('used_at', 'is', null).where('expires_at', '>', now)
    .executeTakeFirst()
  return row === undefined ? undefined : { userId: row.user_id, data: row.data }
}

/** Uses the token up; undefined when it is unknown, expired, used or made for something else. */
export async function consumeToken (db: Kysely<DB>, token: string, purpose: TokenPurpose, now: Date): Promise<string | undefined> {
  return (await consumeTokenWithData(db, token, purpose, now))?.userId
}

export async function consumeTokenWithData (db: Kysely<DB>, token: string, purpose: TokenPurpose, now: Date): Promise<{ userId: string, data: Record<string, string> } | undefined> {
  const row = await db.updateTable('tokens').set({ used_at: now })
    .where('id', '=', sha256(token)).where('purpose', '=', purpose)
    .where('used_at', 'is', null).where('expires_at', '>', now)
    .returning(['user_id', 'data'])
    .executeTakeFirst()
  return row === undefined ? undefined : { userId: row.user_id, data: row.data }
}

/** Ends every other live token of the user for this purpose. */
export async function revokeTokens (db: Kysely<DB>, userId: string, purpose: TokenPurpose, now: Date): Promise<void> {
  await db.updateTable('tokens').set({ used_at: now })
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null)
    .execute()
}
