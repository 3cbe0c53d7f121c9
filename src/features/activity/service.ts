// Account activity (SPEC §5): who in the account did what, when and from
// which IP, from the audit log; filtered by user and by type; CSV export.
import Papa from 'papaparse'
import type { Pool } from 'pg'
import { CSV_OPTIONS, neutraliseCell } from '../../lib/csv.ts'
import { fetchPage, FIRST_PAGE, type Page, type PageRequest } from '../../lib/keyset.ts'
import { type ActivityQueryFilter, type ActivityRecord, findActivityPage } from './queries.ts'
import { eventSentence, type Person, personText, type SentenceContext } from './sentences.ts'

/**
 * Types the page filters by, each a set of action domains (the first segment
 * of the audit action: "login" of "login.failed"), which is what the type
 * index holds.
 */
export const activityTypes = {
  signin: ['login', 'sso'],
  profile: ['profile', 'phone'],
  security: ['password', 'session', 'totp', 'confirm'],
  users: ['user', 'account'],
  permissions: ['permissions']
} as const
export type ActivityType = keyof typeof activityTypes

export function isActivityType (value: unknown): value is ActivityType {
  return typeof value === 'string' && Object.hasOwn(activityTypes, value)
}

/** user: a user of the account by id or by email (as typed); type: a key of activityTypes. */
export interface ActivityFilter { user?: string, type?: ActivityType }
/** at: epoch milliseconds. */
export interface ActivityRow { id: string, at: number, actor: Person, action: string, target: Person, ip: string | null, details: Record<string, unknown> }

// An id is all digits (18 at most, so it fits a bigint); anything else is an email.
const ID = /^[1-9]\d{0,17}$/

function queryFilter (filter: ActivityFilter): ActivityQueryFilter {
  const domains = filter.type === undefined ? undefined : activityTypes[filter.type]
  if (filter.user === undefined) return { domains }
  return { user: ID.test(filter.user) ? { id: filter.user } : { email: filter.user }, domains }
}

function toRow (r: ActivityRecord): ActivityRow {
  return {
    id: r.id,
    at: r.at_ms,
    action: r.action,
    ip: r.ip,
    details: r.details,
    actor: { id: r.actor_user_id, email: r.actor_email, name: r.actor_name, gone: r.actor_gone },
    target: { id: r.target_user_id, email: r.target_email, name: r.target_name, gone: r.target_gone }
  }
}

/** Whether the filter narrows the log: then an empty page is "nothing matches", not "nothing happened". */
export function isFiltered (filter: ActivityFilter): boolean {
  return filter.user !== undefined || filter.type !== undefined
}

export interface ActivityPage extends Page<ActivityRow> {
  /** The filter's user; null when one was asked for and is not in the account (then there are no rows). */
  user?: { id: string, email: string } | null
}

/** One page of the account's activity, newest first (keyset: src/lib/keyset.ts), in one statement. */
export async function listActivity (pool: Pool, accountId: string, filter: ActivityFilter, page: PageRequest, limit: number): Promise<ActivityPage> {
  let user: ActivityPage['user']
  const result = await fetchPage(page, limit, async (p, n) => {
    const found = await findActivityPage(pool, accountId, queryFilter(filter), p, n)
    user = found.user
    return found.rows
  })
  return { ...result, rows: result.rows.map(toRow), user }
}

const CSV_BATCH = 2000

/** CSV with every cell quoted and formula-like cells escaped (SECURITY.md, Web: src/lib/csv.ts). */
export function toCsv (fields: string[], data: string[][]): string {
  return Papa.unparse({ fields, data: data.map((row) => row.map(neutraliseCell)) }, CSV_OPTIONS)
}

// The header in the viewer's language (English: the column names as they always were).
const CSV_FIELDS = ['activity.csv.time', 'activity.csv.user', 'activity.csv.action', 'activity.csv.event', 'activity.csv.target', 'activity.csv.ip', 'activity.csv.details'] as const

/** One CSV record: the people and the sentence in the viewer's language, beside the raw code and details. */
function csvRecord (r: ActivityRow, ctx: SentenceContext): string[] {
  const who = (p: Person) => p.id === null && p.email === null ? '' : personText(ctx.t, p)
  return [new Date(r.at).toISOString(), who(r.actor), r.action, eventSentence(r, ctx), who(r.target), r.ip ?? '', JSON.stringify(r.details)].map(neutraliseCell)
}

/**
 * The CSV of everything matching the filter, streamed in batches read by
 * keyset, so memory stays flat whatever the size of the log. A user not in
 * the account matches nothing: the header only.
 */
export async function * activityCsv (pool: Pool, accountId: string, filter: ActivityFilter, ctx: SentenceContext): AsyncGenerator<string> {
  yield '\ufeff' + Papa.unparse([CSV_FIELDS.map((key) => ctx.t(key))], CSV_OPTIONS)
  let page: PageRequest = FIRST_PAGE
  for (;;) {
    const rows = (await findActivityPage(pool, accountId, queryFilter(filter), page, CSV_BATCH)).rows.map(toRow)
    if (rows.length > 0) {
      yield '\r\n' + Papa.unparse(rows.map((r) => csvRecord(r, ctx)), CSV_OPTIONS)
    }
    if (rows.length < CSV_BATCH) return
    page = { from: 'after', id: rows.at(-1)!.id }
  }
}
