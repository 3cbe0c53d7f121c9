// Account activity (SPEC §5): who in the account did what, when and from
// which IP, from the audit log; filtered by user and by type; CSV export.
import type { Kysely } from 'kysely'
import Papa from 'papaparse'
import type { DB } from '../../db/schema.ts'
import { fetchPage, FIRST_PAGE, type Page, type PageRequest } from '../../lib/keyset.ts'
import { type ActivityQueryFilter, type ActivityRecord, findActivityPage } from './queries.ts'

/**
 * Types the page filters by, each a set of action domains (the first segment
 * of the audit action: "login" of "login.failed"), which is what the type
 * index holds.
 */
export const activityTypes = {
  signin: ['login'],
  profile: ['profile', 'phone'],
  security: ['password', 'session', 'totp', 'confirm'],
  users: ['user', 'account'],
  permissions: ['permissions']
} as const
export type ActivityType = keyof typeof activityTypes

export function isActivityType (value: unknown): value is ActivityType {
  return typeof value === 'string' && Object.hasOwn(activityTypes, value)
}

export interface ActivityFilter { userId?: string, type?: ActivityType }
export interface ActivityRow { id: string, at: Date, actor: string | null, action: string, target: string | null, ip: string | null, details: Record<string, unknown> }

function queryFilter (filter: ActivityFilter): ActivityQueryFilter {
  return { actorId: filter.userId, domains: filter.type === undefined ? undefined : activityTypes[filter.type] }
}

function toRow (r: ActivityRecord): ActivityRow {
  return { id: r.id, at: new Date(r.created_at), actor: r.actor, action: r.action, target: r.target, ip: r.ip, details: r.details }
}

/** One page of the account's activity, newest first (keyset: src/lib/keyset.ts). */
export async function listActivity (db: Kysely<DB>, accountId: string, filter: ActivityFilter, page: PageRequest, limit: number): Promise<Page<ActivityRow>> {
  const result = await fetchPage(page, limit, async (p, n) => await findActivityPage(db, accountId, queryFilter(filter), p, n))
  return { ...result, rows: result.rows.map(toRow) }
}

const CSV_BATCH = 2000

// Cells that a spreadsheet would read as a formula, including after a tab,
// CR or NUL and on any line of a multi-line cell, get a leading quote.
const FORMULA = /^[=+\-@\t\r\0]/
const CSV_OPTIONS = { quotes: true, escapeFormulae: FORMULA, newline: '\r\n' }

/** CSV with every cell quoted and formula-like cells escaped (SECURITY.md, Web). */
export function toCsv (fields: string[], data: string[][]): string {
  return Papa.unparse({ fields, data }, CSV_OPTIONS)
}

/**
 * The CSV of everything matching the filter, streamed in batches read by
 * keyset, so memory stays flat whatever the size of the log. A null filter
 * (a user not in the account) matches nothing: the header only.
 */
export async function * activityCsv (db: Kysely<DB>, accountId: string, filter: ActivityFilter | null): AsyncGenerator<string> {
  yield '\ufeff' + Papa.unparse([['time_utc', 'user', 'action', 'target', 'ip', 'details']], CSV_OPTIONS)
  if (filter === null) return
  let page: PageRequest = FIRST_PAGE
  for (;;) {
    const rows = (await findActivityPage(db, accountId, queryFilter(filter), page, CSV_BATCH)).map(toRow)
    if (rows.length > 0) {
      yield '\r\n' + Papa.unparse(rows.map((r) => [r.at.toISOString(), r.actor ?? '', r.action, r.target ?? '', r.ip ?? '', JSON.stringify(r.details)]), CSV_OPTIONS)
    }
    if (rows.length < CSV_BATCH) return
    page = { from: 'after', id: rows.at(-1)!.id }
  }
}
