// Ending and renewing a user's sessions from anywhere in the product
// (password reset and change, disable, 2FA reset, permission changes).
// Guarantees: "every session of the user" includes sign-ins waiting at the
// second step; a rotation takes effect on the session's next request, whose
// id then changes (plugins/session.ts).
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { sha256 } from './tokens.ts'

/** Ends every session of the user, half-finished sign-ins included; `except` is a raw session id to keep. */
export async function endUserSessions (db: Kysely<DB>, userId: string, opts: { except?: string } = {}): Promise<number> {
  let q = db.deleteFrom('sessions').where((eb) => eb.or([eb('user_id', '=', userId), eb('pending_user_id', '=', userId)]))
  if (opts.except !== undefined) q = q.where('id', '!=', sha256(opts.except))
  const rows = await q.returning('id').execute()
  return rows.length
}

/** The user's sessions get a new id on their next request (a privilege change). */
export async function rotateUserSessions (db: Kysely<DB>, userId: string): Promise<void> {
  await db.updateTable('sessions').set({ rotate: true }).where('user_id', '=', userId).where('ends_at', 'is', null).execute()
}
