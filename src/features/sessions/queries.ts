// Sessions page queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { EraseStep } from '../../lib/personal-data.ts'

/** The user's sessions seen after `seenAfter` and started after `startedAfter`, most recently seen first. */
export async function findLiveSessions (db: Kysely<DB>, userId: string, seenAfter: Date, startedAfter: Date) {
  return await db.selectFrom('sessions')
    .select(['id', 'public_id', 'ip', 'user_agent', 'last_seen_at', 'created_at'])
    .where('user_id', '=', userId)
    .where('last_seen_at', '>', seenAfter)
    .where('created_at', '>', startedAfter)
    .orderBy('last_seen_at', 'desc')
    .execute()
}

/** The user's last `limit` sign-in attempts, newest first. */
export async function findSignIns (db: Kysely<DB>, userId: string, limit: number) {
  return await db.selectFrom('login_attempts')
    .select(['created_at', 'ip', 'user_agent', 'success', 'method', 'service'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(limit)
    .execute()
}

/** Deletes the user's session with this public id: its (hashed) id, or undefined when the user has no such session. */
export async function deleteSession (db: Kysely<DB>, userId: string, publicId: string): Promise<{ id: string } | undefined> {
  return await db.deleteFrom('sessions').where('public_id', '=', publicId).where('user_id', '=', userId).returning('id').executeTakeFirst()
}

/** A completed deletion (privacy feature): the user's sessions end, their IPs and browsers go with them. */
export const eraseSessions: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('sessions').where((eb) => eb.or([eb('user_id', '=', subject.id), eb('pending_user_id', '=', subject.id)])).execute()
}
