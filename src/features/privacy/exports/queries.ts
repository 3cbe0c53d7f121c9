// Exports queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../../db/schema.ts'
import type { ExportSection } from '../../../lib/personal-data.ts'

/** Locks the user's row until the transaction ends: requests of one user are decided one at a time. */
export async function lockUser (db: Kysely<DB>, userId: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst()) !== undefined
}

/** The user's latest export that counts against the limit (one given up does not), requested after `since`. */
export async function findLatestCounted (db: Kysely<DB>, userId: string, since: Date): Promise<{ requested_at: Date } | undefined> {
  return await db.selectFrom('data_exports').select('requested_at')
    .where('user_id', '=', userId).where('status', '<>', 'failed').where('requested_at', '>', since)
    .orderBy('requested_at', 'desc').limit(1).executeTakeFirst()
}

export async function insertExport (db: Kysely<DB>, userId: string, at: Date): Promise<string> {
  const row = await db.insertInto('data_exports').values({ user_id: userId, requested_at: at }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** The user's latest exports, newest first. */
export async function findExports (db: Kysely<DB>, userId: string, limit: number) {
  return await db.selectFrom('data_exports').select(['id', 'requested_at', 'sent_at', 'status'])
    .where('user_id', '=', userId).orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
}

/** An export still to send, with what its mail needs of its user as they are now. */
export async function findPendingExport (db: Kysely<DB>, exportId: string) {
  return await db.selectFrom('data_exports').innerJoin('users', 'users.id', 'data_exports.user_id')
    .select(['data_exports.id', 'data_exports.user_id', 'data_exports.requested_at', 'users.account_id', 'users.email', 'users.full_name', 'users.language', 'users.time_zone', 'users.status as user_status'])
    .where('data_exports.id', '=', exportId).where('data_exports.status', '=', 'queued').executeTakeFirst()
}

export async function markSent (db: Kysely<DB>, exportId: string, at: Date): Promise<boolean> {
  const r = await db.updateTable('data_exports').set({ status: 'sent', sent_at: at, last_error: null })
    .where('id', '=', exportId).where('status', '=', 'queued').executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

export async function markFailedTry (db: Kysely<DB>, exportId: string, error: string, givenUp: boolean): Promise<void> {
  await db.updateTable('data_exports').set({ last_error: error, ...(givenUp ? { status: 'failed' as const } : {}) })
    .where('id', '=', exportId).where('status', '=', 'queued').execute()
}

/**
 * A completed deletion: an SMTP error may quote the address, so last_error
 * goes; an export still queued is given up (nothing is mailed after).
 */
export async function eraseExports (db: Kysely<DB>, userId: string): Promise<void> {
  await db.updateTable('data_exports').set({ last_error: null }).where('user_id', '=', userId).execute()
  await db.updateTable('data_exports').set({ status: 'failed' }).where('user_id', '=', userId).where('status', '=', 'queued').execute()
}

/** The part's own section of the export: the user's exports (this one included, still being prepared). */
export const exportsExport: ExportSection = {
  name: 'exports',
  query: (db, subject) => db.selectFrom('data_exports').select(['requested_at', 'sent_at', 'status'])
    .where('user_id', '=', subject.id).orderBy('requested_at').orderBy('id')
}
