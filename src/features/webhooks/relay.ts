// The outbox's relay: turns each new webhook event (written with its change
// by recordEvent) into one delivery per receiver of WEBHOOK_URLS and queues
// the job of each delivery that is the first of its stream. Guarantees:
// - one relay at a time across all instances (a transaction-level advisory
//   lock; the others skip their turn), events taken in the order they
//   committed, so a stream never gets a later event before an earlier one;
// - a stream is one receiver and one user: its deliveries go out one at a
//   time, oldest first (deliver.ts); only its first undelivered one has a
//   job, queued here or by the delivery before it, under the stream's lock;
// - with no receivers, events are marked relayed and make no deliveries.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Deps } from '../../types.ts'

/** How often each instance looks for new events, in ms. */
export const RELAY_INTERVAL_MS = 500
const BATCH = 500
// pg_advisory_xact_lock keys: the relay's own, and one per stream (below).
const RELAY_LOCK = sql`hashtextextended('webhooks:relay', 0)`

/** Serialises the changes to one stream (receiver, user): its head, its next job. */
export async function lockStream (trx: Kysely<DB>, receiver: string, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`webhooks:stream:${receiver} ${userId}`}, 0))`.execute(trx)
}

/** The stream's first undelivered delivery. */
export async function streamHead (trx: Kysely<DB>, receiver: string, userId: string): Promise<{ id: string, attempts: number } | undefined> {
  return await trx.selectFrom('webhook_deliveries').select(['id', 'attempts'])
    .where('receiver', '=', receiver).where('user_id', '=', userId).where('status', '=', 'queued')
    .orderBy('seq').limit(1).executeTakeFirst()
}

/** Relays what is waiting; returns how many events it relayed. */
export async function relayWebhooks (deps: Pick<Deps, 'db' | 'clock' | 'config' | 'jobs'>): Promise<number> {
  return await deps.db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as locked`.execute(trx)
    if (rows[0]?.locked !== true) return 0
    const events = await trx.selectFrom('webhook_events').select(['id', 'user_id', 'seq'])
      .where('relayed_at', 'is', null).orderBy('id').limit(BATCH).execute()
    if (events.length === 0) return 0
    const now = deps.clock.now()
    const created = new Set<string>()
    const streams = new Map<string, { receiver: string, userId: string }>()
    for (const receiver of deps.config.webhookUrls) {
      const inserted = await trx.insertInto('webhook_deliveries')
        .values(events.map((e) => ({ event_id: e.id, receiver, user_id: e.user_id, seq: e.seq, next_attempt_at: now, created_at: now })))
        .onConflict((oc) => oc.columns(['event_id', 'receiver']).doNothing())
        .returning('id').execute()
      for (const row of inserted) created.add(row.id)
      for (const e of events) streams.set(`${receiver} ${e.user_id}`, { receiver, userId: e.user_id })
    }
    await trx.updateTable('webhook_events').set({ relayed_at: now }).where('id', 'in', events.map((e) => e.id)).execute()
    // In a fixed order, so that two transactions never wait for each other's locks.
    for (const key of [...streams.keys()].sort()) {
      const { receiver, userId } = streams.get(key)!
      await lockStream(trx, receiver, userId)
      const head = await streamHead(trx, receiver, userId)
      // A head from before this batch already has its job (or its retry).
      if (head !== undefined && created.has(head.id)) await deps.jobs.send('webhook', { id: head.id, attempt: head.attempts }, trx)
    }
    return events.length
  })
}

/** Runs the relay every RELAY_INTERVAL_MS until stopped; a failed run is logged and tried on the next tick. */
export function startRelay (deps: Pick<Deps, 'db' | 'clock' | 'config' | 'jobs'>, log: { error: (obj: object, msg: string) => void }): () => Promise<void> {
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const tick = (): void => {
    running = (async () => {
      try {
        // A full batch: more are waiting, go on at once.
        while (!stopped && await relayWebhooks(deps) === BATCH);
      } catch (err) {
        if (!stopped) log.error({ err }, 'webhook relay failed; it runs again shortly')
      }
      if (!stopped) timer = setTimeout(tick, RELAY_INTERVAL_MS)
    })()
  }
  tick()
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}
