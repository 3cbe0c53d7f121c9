// Limits (STYLE.md, "Limits"): counters reserved atomically in PostgreSQL
// before the expensive check, in their own table (limit_counters), never
// counted from the history afterwards. Guarantees:
// - reserveAttempt locks the counter row of every key it is given (in
//   (kind, key) order, so that two reservations never deadlock), decides and
//   counts the attempt in one short transaction: of N parallel attempts no
//   more are let through than the limit leaves, whatever their timing;
// - a refused attempt changes nothing: it neither counts nor moves a back-off;
// - the outcome is recorded afterwards: a failure stays counted (and may
//   lock), a success gives the attempt back or starts the count again
//   (LimitRule.onSuccess), a void attempt (a replay, a right password with a
//   second step due) is given back; an attempt whose outcome is never
//   recorded (a crash mid-check) stays counted, on the safe side;
// - an outcome touches only the window its attempt was reserved in.
// Windows are fixed and start with the first attempt counted in them.
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { addSeconds } from './clock.ts'

export interface LimitRule {
  /** The counter's name: 'login.email', 'otp.streak'… */
  kind: string
  /** Attempts counted in a window; the next one is refused. */
  limit: number
  /** Length of a window; null: no window, the count lasts until a success or a lock (a streak). */
  windowSeconds: number | null
  /** After `free` counted attempts, each waits 2^(n − free) s (at most maxSeconds) after the previous one. */
  backoff?: { free: number, maxSeconds: number }
  /** `limit` failures lock for `seconds`, doubled for each lock since `doublingWithinSeconds`; then the count starts again. */
  lock?: { seconds: number, doublingWithinSeconds: number }
  /** What a success does: give its attempt back, or start the count again ("in a row", "since the last success"). */
  onSuccess: 'release' | 'reset'
}

export interface Slot { rule: LimitRule, key: string, windowStart: Date }
export type Reservation =
  | { ok: true, slots: Slot[] }
  /** retryAfter: when the refusing counter lets an attempt through again (null: not by time alone). */
  | { ok: false, kind: string, retryAfter: Date | null }
export type Reserved = Extract<Reservation, { ok: true }>

interface CounterState { window_start: Date, count: number, failures: number, last_at: Date | null, locked_until: Date | null }
type Decision = { ok: true, windowStart: Date, count: number, failures: number } | { ok: false, until: Date | null }

export function backoffSeconds (counted: number, backoff: { free: number, maxSeconds: number }): number {
  if (counted < backoff.free) return 0
  return Math.min(2 ** (counted - backoff.free), backoff.maxSeconds)
}

/** Whether one more attempt fits the rule, and the counter after it. */
export function admit (rule: LimitRule, row: CounterState, now: Date): Decision {
  const t = now.getTime()
  if (row.locked_until !== null && row.locked_until.getTime() > t) return { ok: false, until: row.locked_until }
  let windowStart = row.window_start
  let { count, failures } = row
  if (rule.windowSeconds !== null && t >= addSeconds(windowStart, rule.windowSeconds).getTime()) {
    windowStart = now
    count = 0
    failures = 0
  }
  if (count >= rule.limit) return { ok: false, until: rule.windowSeconds === null ? null : addSeconds(windowStart, rule.windowSeconds) }
  const wait = rule.backoff === undefined ? 0 : backoffSeconds(count, rule.backoff)
  if (wait > 0 && row.last_at !== null && t < addSeconds(row.last_at, wait).getTime()) return { ok: false, until: addSeconds(row.last_at, wait) }
  return { ok: true, windowStart, count: count + 1, failures }
}

/** Keys are opaque: anything long or unusual (a form field may hold a megabyte or a NUL) is stored as its hash. */
export function counterKey (key: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(key) ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`
}

function inTransaction<T> (db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn)
}

function lockRows (trx: Kysely<DB>, items: Array<{ kind: string, key: string }>) {
  return trx.selectFrom('limit_counters')
    .select(['kind', 'key', 'window_start', 'count', 'failures', 'last_at', 'locked_until', 'locks', 'locks_since'])
    .where((eb) => eb.or(items.map((i) => eb.and([eb('kind', '=', i.kind), eb('key', '=', i.key)]))))
    .orderBy('kind').orderBy('key')
    .forUpdate()
    .execute()
}

/**
 * Reserves one attempt under every rule and key, or none: refused when any
 * of them is locked, full or backing off. Run it before the check; pass a
 * transaction to reserve inside it (the rows stay locked until it ends).
 */
export async function reserveAttempt (db: Kysely<DB>, wanted: Array<{ rule: LimitRule, key: string }>, now: Date): Promise<Reservation> {
  const items = wanted.map((w) => ({ rule: w.rule, kind: w.rule.kind, key: counterKey(w.key) }))
    .sort((a, b) => a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  return await inTransaction(db, async (trx): Promise<Reservation> => {
    await trx.insertInto('limit_counters')
      .values(items.map((i) => ({ kind: i.kind, key: i.key, window_start: now, updated_at: now })))
      .onConflict((oc) => oc.columns(['kind', 'key']).doNothing())
      .execute()
    const rows = await lockRows(trx, items)
    const decided = items.map((i) => {
      const row = rows.find((r) => r.kind === i.kind && r.key === i.key)
      if (row === undefined) throw new Error(`limit counter ${i.kind} vanished`)
      return { ...i, decision: admit(i.rule, row, now) }
    })
    for (const d of decided) {
      if (!d.decision.ok) return { ok: false, kind: d.kind, retryAfter: d.decision.until }
    }
    const slots: Slot[] = []
    for (const d of decided) {
      if (!d.decision.ok) continue
      await trx.updateTable('limit_counters')
        .set({ window_start: d.decision.windowStart, count: d.decision.count, failures: d.decision.failures, last_at: now, updated_at: now })
        .where('kind', '=', d.kind).where('key', '=', d.key)
        .execute()
      slots.push({ rule: d.rule, key: d.key, windowStart: d.decision.windowStart })
    }
    return { ok: true, slots }
  })
}

/**
 * The check failed: the attempts stay counted. Returns the end of the lock
 * this failure brought (a lock rule's lock, or a full window), if any.
 */
export async function recordFailure (db: Kysely<DB>, reserved: Reserved, now: Date): Promise<Date | undefined> {
  return await inTransaction(db, async (trx) => {
    let lockedUntil: Date | undefined
    for (const slot of reserved.slots) {
      const until = await failSlot(trx, slot, now)
      if (until !== undefined && (lockedUntil === undefined || until > lockedUntil)) lockedUntil = until
    }
    return lockedUntil
  })
}

async function failSlot (trx: Kysely<DB>, slot: Slot, now: Date): Promise<Date | undefined> {
  const { rule } = slot
  const [row] = await lockRows(trx, [{ kind: rule.kind, key: slot.key }])
  if (row === undefined || row.window_start.getTime() !== slot.windowStart.getTime()) return undefined
  const failures = row.failures + 1
  const where = { kind: rule.kind, key: slot.key }
  if (rule.lock !== undefined && failures >= rule.limit) {
    const fresh = row.locks_since === null || row.locks_since.getTime() <= addSeconds(now, -rule.lock.doublingWithinSeconds).getTime()
    const locks = fresh ? 0 : row.locks
    const until = addSeconds(now, rule.lock.seconds * 2 ** locks)
    // The next window starts when the lock ends; attempts still pending in this one no longer count.
    await trx.updateTable('limit_counters')
      .set({ locked_until: until, locks: locks + 1, locks_since: fresh ? now : row.locks_since, window_start: until, count: 0, failures: 0, updated_at: now })
      .where('kind', '=', where.kind).where('key', '=', where.key).execute()
    return until
  }
  await trx.updateTable('limit_counters').set({ failures, updated_at: now })
    .where('kind', '=', where.kind).where('key', '=', where.key).execute()
  if (rule.lock === undefined && rule.windowSeconds !== null && failures >= rule.limit) return addSeconds(row.window_start, rule.windowSeconds)
  return undefined
}

/** The check passed: per rule, the attempt is given back or the count starts again. */
export async function recordSuccess (db: Kysely<DB>, reserved: Reserved, now: Date): Promise<void> {
  for (const slot of reserved.slots) {
    if (slot.rule.onSuccess === 'reset') await resetCounter(db, slot.rule, slot.key, now)
    else await releaseSlot(db, slot, now)
  }
}

/** Neither success nor failure (a replay, a second step still due): the attempts are given back. */
export async function releaseAttempt (db: Kysely<DB>, reserved: Reserved, now: Date): Promise<void> {
  for (const slot of reserved.slots) await releaseSlot(db, slot, now)
}

async function releaseSlot (db: Kysely<DB>, slot: Slot, now: Date): Promise<void> {
  await db.updateTable('limit_counters')
    .set((eb) => ({ count: eb.fn('greatest', [eb('count', '-', 1), eb.lit(0)]), updated_at: now }))
    .where('kind', '=', slot.rule.kind).where('key', '=', slot.key)
    .where('window_start', '=', slot.windowStart)
    .execute()
}

/** Starts the count again (a completed sign-in), keeping a running lock and the lock history. */
export async function resetCounter (db: Kysely<DB>, rule: LimitRule, key: string, now: Date): Promise<void> {
  await db.updateTable('limit_counters')
    .set({ count: 0, failures: 0, window_start: now, updated_at: now })
    .where('kind', '=', rule.kind).where('key', '=', counterKey(key))
    .execute()
}

/** Forgets the counters of a key altogether (a provider resetting what they guard). */
export async function deleteCounters (db: Kysely<DB>, rules: LimitRule[], key: string): Promise<void> {
  await db.deleteFrom('limit_counters')
    .where('kind', 'in', rules.map((r) => r.kind)).where('key', '=', counterKey(key))
    .execute()
}

/** Counters nobody has touched for STALE_SECONDS (longer than any window) and not locked: for the maintenance job. */
export const STALE_SECONDS = 2 * 24 * 3600

export async function deleteStaleCounters (db: Kysely<DB>, now: Date): Promise<void> {
  await db.deleteFrom('limit_counters')
    .where('updated_at', '<', addSeconds(now, -STALE_SECONDS))
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .execute()
}
