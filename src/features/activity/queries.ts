// Account activity queries: one page of the account's audit log, newest first,
// by keyset, in one statement (the user filter's lookup, the cursor row and
// the page), run as a named prepared statement: one SQL text per shape of
// page, so PostgreSQL parses it once per connection and keeps a generic plan
// instead of planning every page. Each filter reads its own index of the
// scale-indexes migration: all rows (account_id, created_at, id); a user
// (account_id, actor_user_id, …); a type (account_id, split_part(action, '.',
// 1), …); both (account_id, actor_user_id, split_part(action, '.', 1), …).
// A user is matched as the actor or as the target: the actor's range and
// the range of rows done to them by others (activity-target migration:
// (account_id, target_user_id, …) where the actor is someone else; with a
// type, activity-target-kind: (account_id, target_user_id,
// split_part(action, '.', 1), …)), merged.
import type { Pool } from 'pg'
import { epochMs } from '../../db/epoch-ms.ts'
import { isBackward, type PageRequest, type Statement } from '../../lib/keyset.ts'

/**
 * user: rows done by or to this user of the account, named by id or by email
 * (case-insensitive); domains: first segments of the action ("login" of
 * "login.failed").
 */
export interface ActivityQueryFilter { user?: { id: string } | { email: string }, domains?: readonly string[] }

export interface ActivityRecord {
  id: string
  /** created_at in epoch milliseconds (a number parses faster than a timestamp). */
  at_ms: number
  action: string
  ip: string | null
  details: Record<string, unknown>
  actor_user_id: string | null
  target_user_id: string | null
  /** The actor and target as they are now, or as the user.deleted row recorded them (null: unknown). */
  actor_email: string | null
  actor_name: string | null
  actor_gone: boolean
  target_email: string | null
  target_name: string | null
  target_gone: boolean
}

export interface ActivityResult {
  rows: ActivityRecord[]
  /** The filter's user; null when one was asked for and is not in the account (nothing matches). */
  user?: { id: string, email: string } | null
}

const texts = new Map<string, string>()

/** The statement of one page: $1 the account, then the user, the domains, the cursor row's id and the limit. */
export function activityPageStatement (accountId: string, filter: ActivityQueryFilter, page: PageRequest, limit: number): Statement {
  const by = filter.user === undefined ? 'all' : 'id' in filter.user ? 'id' : 'email'
  const domains = filter.domains ?? []
  const name = `activity_page_${by}_${domains.length}_${page.from}`
  const values: unknown[] = [accountId]
  if (filter.user !== undefined) values.push('id' in filter.user ? filter.user.id : filter.user.email)
  values.push(...domains)
  if (page.from === 'after' || page.from === 'before') values.push(page.id)
  values.push(limit)
  let text = texts.get(name)
  if (text === undefined) {
    text = activitySql(by, domains.length, page)
    texts.set(name, text)
  }
  return { name, text, values }
}

function activitySql (by: 'all' | 'id' | 'email', domainCount: number, page: PageRequest): string {
  let n = 1
  const userParam = by === 'all' ? '' : `$${++n}`
  const domainParams = Array.from({ length: domainCount }, () => `$${++n}`)
  const cursorParam = page.from === 'after' || page.from === 'before' ? `$${++n}` : ''
  const limitParam = `$${++n}`
  const dir = isBackward(page) ? 'asc' : 'desc'
  // The cursor row is read once, by its primary key (a materialized CTE:
  // planned on its own, so a cached generic plan cannot trade the key for a
  // scan of the account's index range), and must be of the account: another
  // account's id finds nothing.
  const head = cursorParam === ''
    ? ''
    : `with cursor_row as materialized (select c.created_at, c.id, c.account_id from audit_log c where c.id = ${cursorParam})\n  `
  const cursor = cursorParam === ''
    ? ''
    : ` and (a.created_at, a.id) ${page.from === 'after' ? '<' : '>'} (select k.created_at, k.id from cursor_row k where k.account_id = $1)`
  // One ordered index range per domain and, filtered by user, per role (each
  // at most a page), merged: no filter sorts more than a page.
  const roles = by === 'all' ? [''] : [' and a.actor_user_id = f.id', ' and a.target_user_id = f.id and a.target_user_id is not null and a.actor_user_id is distinct from a.target_user_id']
  const range = (role: string, domain?: string) => `select a.id, a.created_at, a.action, a.ip, a.details, a.actor_user_id, a.target_user_id
      from audit_log a where a.account_id = $1${role}${domain === undefined ? '' : ` and split_part(a.action, '.', 1) = ${domain}`}${cursor}
      order by a.created_at ${dir}, a.id ${dir} limit ${limitParam}`
  const ranges = roles.flatMap((role) => domainParams.length === 0 ? [range(role)] : domainParams.map((d) => range(role, d)))
  // A user since deleted is named by the user.deleted row that recorded them
  // (read only when the join finds nobody). Filtered by a user, that user
  // (f) is on every row, as the actor or the target, and is already read:
  // the join looks up only the other one (a null key finds nothing without
  // reading the index), which halves the page's lookups.
  const other = (role: 'actor' | 'target') => by === 'all' ? `r.${role}_user_id` : `(case when r.${role}_user_id is distinct from f.id then r.${role}_user_id end)`
  const known = (role: 'actor' | 'target', column: 'email' | 'full_name') => by === 'all' ? '' : ` case when r.${role}_user_id = f.id then f.${column} end,`
  const person = (role: 'actor' | 'target') => `
    left join users ${role} on ${role}.id = ${other(role)}
    left join lateral (select d.details->>'email' as email, d.details->>'name' as name from audit_log d
      where ${other(role)} is not null and ${role}.id is null and d.personal_of = r.${role}_user_id and d.action = 'user.deleted' limit 1) ${role}_was on true`
  const fields = (role: 'actor' | 'target') => `coalesce(${role}.email,${known(role, 'email')} ${role}_was.email) as ${role}_email, coalesce(${role}.full_name,${known(role, 'full_name')} ${role}_was.name) as ${role}_name, (${other(role)} is not null and ${role}.id is null) as ${role}_gone`
  const pageSql = `select r.id, ${epochMs('r.created_at')} as at_ms, r.action, r.ip, r.details, r.actor_user_id, r.target_user_id,
      ${fields('actor')},
      ${fields('target')}
    from (${ranges.length === 1 ? ranges[0] : ranges.map((r) => `(${r})`).join(' union all ')}) r${person('actor')}${person('target')}
    order by r.created_at ${dir}, r.id ${dir} limit ${limitParam}`
  if (by === 'all') return head + pageSql
  // The user of the account first (no row: not in the account, so no rows at
  // all); its page joined to it, or one row with nulls when the page is empty.
  // The lateral subquery runs once for the one user row, so its order stands.
  const user = by === 'id' ? `u.id = ${userParam}` : `lower(u.email) = lower(${userParam})`
  return `${head}select f.id as filter_id, f.email as filter_email, p.*
  from (select u.id, u.email, u.full_name from users u where u.account_id = $1 and ${user}) f
  left join lateral (${pageSql}) p on true`
}

/**
 * Up to `limit` rows of the page, in reading order for a forward page and
 * reversed for a backward one, and the filter's user.
 */
export async function findActivityPage (pool: Pool, accountId: string, filter: ActivityQueryFilter, page: PageRequest, limit: number): Promise<ActivityResult> {
  const { rows } = await pool.query<ActivityRecord & { filter_id?: string, filter_email?: string }>(activityPageStatement(accountId, filter, page, limit))
  if (filter.user === undefined) return { rows }
  const first = rows[0]
  if (first === undefined) return { rows: [], user: null }
  const user = { id: first.filter_id!, email: first.filter_email! }
  return { rows: (first.id as string | null) === null ? [] : rows, user }
}
