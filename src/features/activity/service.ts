// Account activity (SPEC §5): who in the account did what, when and from
// which IP, from the audit log; filtered by user and by type; CSV export.
import type { Kysely } from 'kysely'
import Papa from 'papaparse'
import type { DB } from '../../db/schema.ts'

/** Types the page filters by, each a set of audit action prefixes. */
export const activityTypes = {
  signin: ['login.'],
  profile: ['profile.', 'phone.'],
  security: ['password.', 'session.'],
  users: ['user.', 'account.'],
  permissions: ['permissions.']
} as const
export type ActivityType = keyof typeof activityTypes

export function isActivityType (value: unknown): value is ActivityType {
  return typeof value === 'string' && Object.hasOwn(activityTypes, value)
}

export interface ActivityFilter { userId?: string, type?: ActivityType }
export interface ActivityRow { at: Date, actor: string | null, action: string, target: string | null, ip: string | null, details: Record<string, unknown> }

function query (db: Kysely<DB>, accountId: string, filter: ActivityFilter) {
  let q = db.selectFrom('audit_log as a')
    .leftJoin('users as actor', 'actor.id', 'a.actor_user_id')
    .leftJoin('users as target', 'target.id', 'a.target_user_id')
    .where('a.account_id', '=', accountId)
  if (filter.userId !== undefined) q = q.where('a.actor_user_id', '=', filter.userId)
  if (filter.type !== undefined) {
    const prefixes = activityTypes[filter.type]
    q = q.where((eb) => eb.or(prefixes.map((p) => eb('a.action', 'like', `${p}%`))))
  }
  return q
}

export async function listActivity (db: Kysely<DB>, accountId: string, filter: ActivityFilter, limit: number, offset: number): Promise<{ rows: ActivityRow[], total: number }> {
  const rows = await query(db, accountId, filter)
    .select(['a.created_at', 'actor.email as actor', 'a.action', 'target.email as target', 'a.ip', 'a.details'])
    .orderBy('a.created_at', 'desc').orderBy('a.id', 'desc')
    .limit(limit).offset(offset).execute()
  const total = await query(db, accountId, filter).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  return {
    rows: rows.map((r) => ({ at: new Date(r.created_at), actor: r.actor, action: r.action, target: r.target, ip: r.ip, details: r.details })),
    total: Number(total.n)
  }
}

export const CSV_MAX_ROWS = 50_000

// Cells that a spreadsheet would read as a formula, including after a tab,
// CR or NUL and on any line of a multi-line cell, get a leading quote.
const FORMULA = /^[=+\-@\t\r\0]/

/** CSV with every cell quoted and formula-like cells escaped (SECURITY.md, Web). */
export function toCsv (fields: string[], data: string[][]): string {
  return Papa.unparse({ fields, data }, { quotes: true, escapeFormulae: FORMULA, newline: '\r\n' })
}

export async function activityCsv (db: Kysely<DB>, accountId: string, filter: ActivityFilter): Promise<string> {
  const { rows } = await listActivity(db, accountId, filter, CSV_MAX_ROWS, 0)
  const data = rows.map((r) => [r.at.toISOString(), r.actor ?? '', r.action, r.target ?? '', r.ip ?? '', JSON.stringify(r.details)])
  return toCsv(['time_utc', 'user', 'action', 'target', 'ip', 'details'], data)
}
