// Phone queries: db first, so that a transaction passes through.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { CodePurpose } from './codes.ts'
import type { EraseStep } from '../../lib/personal-data.ts'

interface CodeRow { destination: string, code_hmac: string, attempts: number, created_at: Date, expires_at: Date, used_at: null }

/** The user's number and whether it is verified; `lock` holds the row until the caller's transaction ends. */
export async function findPhone (db: Kysely<DB>, userId: string, opts: { lock?: boolean } = {}): Promise<{ phone: string | null, phone_verified: boolean }> {
  let q = db.selectFrom('users').select(['phone', 'phone_verified']).where('id', '=', userId)
  if (opts.lock === true) q = q.forUpdate()
  return await q.executeTakeFirstOrThrow()
}

/** Saves a number as Not verified, only over an unverified, different one: the user's id, or undefined when nothing changed. */
export async function setPhone (db: Kysely<DB>, userId: string, phone: string, now: Date): Promise<{ id: string } | undefined> {
  return await db.updateTable('users').set({ phone, phone_verified: false, updated_at: now })
    .where('id', '=', userId).where('phone_verified', '=', false)
    .where((eb) => eb.or([eb('phone', 'is', null), eb('phone', '!=', phone)]))
    .returning('id').executeTakeFirst()
}

/** Marks the number verified, if it is still this one. */
export async function markPhoneVerified (db: Kysely<DB>, userId: string, phone: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ phone_verified: true, updated_at: now }).where('id', '=', userId).where('phone', '=', phone).execute()
}

/** Clears the number, if it is still this one. */
export async function clearPhone (db: Kysely<DB>, userId: string, phone: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ phone: null, phone_verified: false, updated_at: now }).where('id', '=', userId).where('phone', '=', phone).execute()
}

/** Clears whatever number the user has: their account and former number, or undefined for no such user. */
export async function removePhone (db: Kysely<DB>, userId: string, now: Date): Promise<{ account_id: string, phone: string | null } | undefined> {
  return await db.updateTable('users').set({ phone: null, phone_verified: false, updated_at: now })
    .where('id', '=', userId).returning(['account_id', 'phone']).executeTakeFirst()
}

/** Transaction-scoped advisory locks on the user and on the number, always in this order. */
export async function lockCodeIssuer (db: Kysely<DB>, userId: string, destination: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`code-user:${userId}`}))`.execute(db)
  await sql`select pg_advisory_xact_lock(hashtext(${`code-dest:${destination}`}))`.execute(db)
}

/** A send of a code for this purpose and number since `since`, if any. */
export async function findRecentSend (db: Kysely<DB>, userId: string, purpose: CodePurpose, destination: string, since: Date): Promise<{ id: string } | undefined> {
  return await db.selectFrom('code_sends').select('id')
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('destination', '=', destination)
    .where('created_at', '>', since)
    .executeTakeFirst()
}

/** How many codes went to this user (or number) since `since`, and when the last one did. */
export async function countCodeSends (db: Kysely<DB>, column: 'user_id' | 'destination', value: string, since: Date) {
  return await db.selectFrom('code_sends')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('created_at').as('last')])
    .where(column, '=', value).where('created_at', '>', since)
    .executeTakeFirstOrThrow()
}

export async function insertCodeSend (db: Kysely<DB>, userId: string, purpose: CodePurpose, destination: string, now: Date): Promise<void> {
  await db.insertInto('code_sends').values({ user_id: userId, purpose, destination, created_at: now }).execute()
}

/** The user's code for the purpose, replacing any earlier one (one live code per user and purpose). */
export async function upsertCode (db: Kysely<DB>, userId: string, purpose: CodePurpose, row: CodeRow): Promise<void> {
  await db.insertInto('verification_codes').values({ user_id: userId, purpose, ...row })
    .onConflict((oc) => oc.columns(['user_id', 'purpose']).doUpdateSet(row)).execute()
}

/** Counts one try on the live code for this number (unused, unexpired, under maxAttempts): its HMAC and tries, or undefined. */
export async function countCodeAttempt (db: Kysely<DB>, userId: string, purpose: CodePurpose, destination: string, now: Date, maxAttempts: number): Promise<{ code_hmac: string, attempts: number } | undefined> {
  return await db.updateTable('verification_codes').set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('destination', '=', destination)
    .where('used_at', 'is', null).where('attempts', '<', maxAttempts).where('expires_at', '>', now)
    .returning(['code_hmac', 'attempts']).executeTakeFirst()
}

/** Uses the code up, unless another try already did: the user's id, or undefined. */
export async function markCodeUsed (db: Kysely<DB>, userId: string, purpose: CodePurpose, codeHmac: string, now: Date): Promise<{ user_id: string } | undefined> {
  return await db.updateTable('verification_codes').set({ used_at: now })
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('code_hmac', '=', codeHmac)
    .where('used_at', 'is', null)
    .returning('user_id').executeTakeFirst()
}

/** The user's code for the purpose, live or not. */
export async function findCode (db: Kysely<DB>, userId: string, purpose: CodePurpose) {
  return await db.selectFrom('verification_codes').select(['destination', 'attempts', 'expires_at', 'used_at'])
    .where('user_id', '=', userId).where('purpose', '=', purpose)
    .executeTakeFirst()
}

/** A code for this purpose and number that is unused, unexpired and under maxAttempts, if any. */
export async function findLiveCode (db: Kysely<DB>, userId: string, purpose: CodePurpose, phone: string, now: Date, maxAttempts: number): Promise<{ user_id: string } | undefined> {
  return await db.selectFrom('verification_codes').select('user_id')
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('destination', '=', phone)
    .where('used_at', 'is', null).where('expires_at', '>', now).where('attempts', '<', maxAttempts)
    .executeTakeFirst()
}

/** Ends every live code of the user (the number changed or was removed). */
export async function dropCodes (db: Kysely<DB>, userId: string): Promise<void> {
  await db.deleteFrom('verification_codes').where('user_id', '=', userId).execute()
}

/** A completed deletion (privacy feature): the number, its pending codes and the record of where codes went. */
export const erasePhone: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('verification_codes').where('user_id', '=', subject.id).execute()
  await trx.deleteFrom('code_sends').where('user_id', '=', subject.id).execute()
  await trx.updateTable('users').set({ phone: null, phone_verified: false }).where('id', '=', subject.id).execute()
}
