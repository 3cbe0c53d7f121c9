// Housekeeping queries: each deletes what is past its cut-off; the cut-offs are the service's.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

/** Sessions idle since before `idleBefore`, started before `startedBefore`, or ended before `now`. */
export async function deleteEndedSessions (db: Kysely<DB>, idleBefore: Date, startedBefore: Date, now: Date): Promise<void> {
  await db.deleteFrom('sessions').where((eb) => eb.or([
    eb('last_seen_at', '<', idleBefore),
    eb('created_at', '<', startedBefore),
    eb('ends_at', '<', now)
  ])).execute()
}

export async function deleteExpiredTokens (db: Kysely<DB>, expiredBefore: Date): Promise<void> {
  await db.deleteFrom('tokens').where('expires_at', '<', expiredBefore).execute()
}

export async function deleteOldLoginAttempts (db: Kysely<DB>, before: Date): Promise<void> {
  await db.deleteFrom('login_attempts').where('created_at', '<', before).execute()
}

export async function deleteOldCodeSends (db: Kysely<DB>, before: Date): Promise<void> {
  await db.deleteFrom('code_sends').where('created_at', '<', before).execute()
}

/** Deliveries no longer queued (sent or failed) created before `before`. */
export async function deleteEndedDeliveries (db: Kysely<DB>, before: Date): Promise<void> {
  await db.deleteFrom('deliveries').where('status', '<>', 'queued').where('created_at', '<', before).execute()
}
