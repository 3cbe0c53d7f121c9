// Main settings queries: db first, so that a transaction passes through.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { sha256 } from '../../lib/tokens.ts'

export interface MainSettingsRow {
  language: string
  time_zone: string
  rows_per_page: number
  ip_access: 'any' | 'list'
  ip_allow_list: string[]
  bind_session_ip: boolean
}

const COLUMNS = ['language', 'time_zone', 'rows_per_page', 'ip_access', 'ip_allow_list', 'bind_session_ip'] as const

/** The user's Main settings as stored; `lock` holds the row until the caller's transaction ends. */
export async function findMainSettings (db: Kysely<DB>, userId: string, opts: { lock?: boolean } = {}): Promise<MainSettingsRow | undefined> {
  let q = db.selectFrom('users').select(COLUMNS).where('id', '=', userId)
  if (opts.lock === true) q = q.forUpdate()
  return await q.executeTakeFirst()
}

export async function setMainSettings (db: Kysely<DB>, userId: string, values: MainSettingsRow, now: Date): Promise<void> {
  await db.updateTable('users').set({ ...values, updated_at: now }).where('id', '=', userId).execute()
}

/** This session now counts as started from `ip` (binding turned on from it). */
export async function setSessionIp (db: Kysely<DB>, sessionId: string, ip: string): Promise<void> {
  await db.updateTable('sessions').set({ ip }).where('id', '=', sha256(sessionId)).execute()
}

/** Access from any IP, the list emptied: the account and the user, or undefined when there is no such user. */
export async function clearIpList (db: Kysely<DB>, userId: string, now: Date): Promise<{ account_id: string } | undefined> {
  return await db.updateTable('users').set({ ip_access: 'any', ip_allow_list: [], updated_at: now })
    .where('id', '=', userId).returning('account_id').executeTakeFirst()
}
