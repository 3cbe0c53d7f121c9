import { type ExpressionBuilder, type Kysely, sql } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { EraseStep } from '../../lib/personal-data.ts'
import { counterKey } from '../../lib/limits.ts'
import { emailRule, ipRule } from './throttle.ts'

export function findUserByEmail (db: Kysely<DB>, email: string) {
  return db.selectFrom('users')
    .select(['id', 'account_id', 'email', 'full_name', 'password_hash', 'status', 'language', 'two_factor_enabled', 'ip_access', 'ip_allow_list'])
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst()
}

export function findUserById (db: Kysely<DB>, id: string) {
  return db.selectFrom('users')
    .select(['id', 'account_id', 'email', 'full_name', 'status', 'language', 'two_factor_enabled'])
    .where('id', '=', id)
    .executeTakeFirst()
}

/** One try in the sign-in history; `method` is what proved (or tried to prove) who the user is, when known; `service` the external authorization service it went through. */
export async function recordAttempt (db: Kysely<DB>, a: { email: string, userId: string | null, ip: string, userAgent: string | null, success: boolean, throttled: boolean, at: Date, method?: string, service?: string }): Promise<void> {
  await db.insertInto('login_attempts').values({
    email: a.email.slice(0, 320).replaceAll('\u0000', '\uFFFD'),
    user_id: a.userId,
    ip: a.ip,
    user_agent: a.userAgent?.slice(0, 512) ?? null,
    success: a.success,
    throttled: a.throttled,
    created_at: a.at,
    method: a.method ?? null,
    service: a.service ?? null
  }).execute()
}

/**
 * What the user's successful sign-ins say of an IP address: whether one was
 * from it, and whether there was any at all. One statement over the user's
 * rows (login_attempts_user_idx), read by the new-sign-in notice.
 */
export async function signInHistoryOf (db: Kysely<DB>, userId: string, ip: string): Promise<{ known: boolean, any: boolean }> {
  const mine = db.selectFrom('login_attempts').select(sql`1`.as('one')).where('user_id', '=', userId).where('success', '=', true)
  const row = await db.selectNoFrom((eb) => [
    eb.exists(mine.where('ip', '=', ip)).as('known'),
    eb.exists(mine).as('any')
  ]).executeTakeFirstOrThrow()
  return { known: Boolean(row.known), any: Boolean(row.any) }
}

export async function setPasswordHash (db: Kysely<DB>, userId: string, hash: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', userId).execute()
}

export async function setLastLogin (db: Kysely<DB>, userId: string, now: Date): Promise<void> {
  await db.updateTable('users').set({ last_login_at: now }).where('id', '=', userId).execute()
}


export async function countRecentTokens (db: Kysely<DB>, userId: string, purpose: string, since: Date): Promise<number> {
  const r = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('created_at', '>', since)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/** The user's IP access settings (Main settings), checked at every sign-in. */
export function findIpAccess (db: Kysely<DB>, userId: string) {
  return db.selectFrom('users').select(['ip_access', 'ip_allow_list']).where('id', '=', userId).executeTakeFirst()
}

/**
 * A completed deletion (privacy feature): the user's sign-in history keeps
 * its rows (times, results) without the address, IP and browser; the
 * throttle counters keyed by the address or by those IPs go (the IP ones
 * hold at most a window's count, so a shared IP loses little); a queued
 * "Forgot password" job carries the address and the IP, and goes too.
 */
export const eraseSignIns: EraseStep = async (trx, subject) => {
  const email = subject.email.toLowerCase()
  const mine = (eb: ExpressionBuilder<DB, 'login_attempts'>) => eb.or([eb('user_id', '=', subject.id), eb('email', '=', email)])
  const ips = (await trx.selectFrom('login_attempts').select('ip').distinct().where(mine).execute()).map((r) => r.ip).filter((ip) => ip !== '')
  await trx.updateTable('login_attempts').set({ email: '', ip: '', user_agent: null }).where(mine).execute()
  await trx.deleteFrom('limit_counters').where((eb) => eb.or([
    eb.and([eb('kind', '=', emailRule.kind), eb('key', 'in', [email, counterKey(email)])]),
    ...(ips.length === 0 ? [] : [eb.and([eb('kind', '=', ipRule.kind), eb('key', 'in', ips.flatMap((ip) => [ip, counterKey(ip)]))])])
  ])).execute()
  for (const table of ['job', 'archive']) {
    await sql`delete from ${sql.table(`pgboss.${table}`)} where name = 'password-reset' and data->>'email' = ${email}`.execute(trx)
  }
}
