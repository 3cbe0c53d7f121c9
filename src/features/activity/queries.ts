// Account activity queries: one page of the account's audit log, newest first,
// by keyset. Each filter reads its own index of the scale-indexes migration:
// all rows (account_id, created_at, id); a user (account_id, actor_user_id, …);
// a type (account_id, split_part(action, '.', 1), …); both (account_id,
// actor_user_id, split_part(action, '.', 1), …).
import { type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { isBackward, type PageRequest } from '../../lib/keyset.ts'

/** actorId: rows done by this user; domains: first segments of the action ("login" of "login.failed"). */
export interface ActivityQueryFilter { actorId?: string, domains?: readonly string[] }

export interface ActivityRecord {
  id: string
  created_at: Date
  action: string
  ip: string | null
  details: Record<string, unknown>
  actor: string | null
  target: string | null
}

const ACTION_DOMAIN = sql<string>`split_part(a.action, '.', 1)`

/** The page's rows of one domain (or of all): an ordered index range, stopped at `limit`. */
function rangeQuery (db: Kysely<DB>, accountId: string, filter: ActivityQueryFilter, domain: string | undefined, page: PageRequest, limit: number) {
  let q = db.selectFrom('audit_log as a')
    .select(['a.id', 'a.created_at', 'a.action', 'a.ip', 'a.details', 'a.actor_user_id', 'a.target_user_id'])
    .where('a.account_id', '=', accountId)
  if (filter.actorId !== undefined) q = q.where('a.actor_user_id', '=', filter.actorId)
  if (domain !== undefined) q = q.where(ACTION_DOMAIN, '=', domain)
  if (page.from === 'after' || page.from === 'before') {
    // The cursor row is looked up within the account: another account's id finds nothing.
    const cursor = sql`(select c.created_at, c.id from audit_log c where c.id = ${page.id} and c.account_id = ${accountId})`
    q = q.where(page.from === 'after' ? sql<boolean>`(a.created_at, a.id) < ${cursor}` : sql<boolean>`(a.created_at, a.id) > ${cursor}`)
  }
  const dir = isBackward(page) ? 'asc' : 'desc'
  return q.orderBy('a.created_at', dir).orderBy('a.id', dir).limit(limit)
}

/**
 * Up to `limit` rows of the page, in reading order for a forward page and
 * reversed for a backward one. A type of several domains merges one range per
 * domain (each at most `limit` rows), so no filter sorts more than a page.
 */
export function activityPageQuery (db: Kysely<DB>, accountId: string, filter: ActivityQueryFilter, page: PageRequest, limit: number) {
  const domains = filter.domains ?? [undefined]
  const ranges = domains.map((d) => db.selectFrom(rangeQuery(db, accountId, filter, d, page, limit).as('r')).selectAll())
  const merged = ranges.slice(1).reduce((all, r) => all.unionAll(r), ranges[0]!)
  const dir = isBackward(page) ? 'asc' : 'desc'
  return db.selectFrom(merged.as('p'))
    .leftJoin('users as actor', 'actor.id', 'p.actor_user_id')
    .leftJoin('users as target', 'target.id', 'p.target_user_id')
    .select(['p.id', 'p.created_at', 'p.action', 'p.ip', 'p.details', 'actor.email as actor', 'target.email as target'])
    .orderBy('p.created_at', dir).orderBy('p.id', dir).limit(limit)
}

export async function findActivityPage (db: Kysely<DB>, accountId: string, filter: ActivityQueryFilter, page: PageRequest, limit: number): Promise<ActivityRecord[]> {
  return await activityPageQuery(db, accountId, filter, page, limit).execute() as ActivityRecord[]
}

/** A user of this account by id or by email (case-insensitive; users_email_key). */
export async function findAccountUserRef (db: Kysely<DB>, accountId: string, value: string): Promise<{ id: string, email: string } | undefined> {
  const q = db.selectFrom('users').select(['id', 'email']).where('account_id', '=', accountId)
  if (/^[1-9]\d{0,17}$/.test(value)) return await q.where('id', '=', value).executeTakeFirst()
  return await q.where(sql`lower(email)`, '=', value.toLowerCase()).executeTakeFirst()
}
