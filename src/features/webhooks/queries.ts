import { sql } from 'kysely'
import type { EraseStep } from '../../lib/personal-data.ts'
import type { Deps } from '../../types.ts'

/** How long a webhook is kept after it was relayed, for a look at how it went. */
export const KEEP_DAYS = 7

/** Drops webhooks relayed more than KEEP_DAYS ago whose deliveries have all ended (their deliveries with them). */
export async function cleanUpWebhooks (deps: Pick<Deps, 'db' | 'clock'>): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - KEEP_DAYS * 86400_000)
  const result = await deps.db.deleteFrom('webhook_events')
    .where('relayed_at', '<', before)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id')
      .whereRef('d.event_id', '=', 'webhook_events.id').where('d.status', '=', 'queued'))))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** A completed deletion: the user's address, name and phone leave the webhooks kept or still on their way. */
export const eraseWebhookData: EraseStep = async (trx, subject) => {
  await trx.updateTable('webhook_events')
    .set({ data: sql<string>`data - 'email' - 'name' - 'phone'` })
    .where('user_id', '=', subject.id)
    .execute()
}

/**
 * Queues again the job of a stream's head whose try is over 15 minutes
 * late: its job was lost (pg-boss gave it up after its process kept dying),
 * and without it the stream would wait for ever. A job that was only slow
 * may then run twice: a webhook may arrive twice, as after a crash.
 */
export async function requeueStuckWebhooks (deps: Pick<Deps, 'db' | 'clock' | 'jobs'>): Promise<number> {
  const late = new Date(deps.clock.now().getTime() - 15 * 60_000)
  const heads = await deps.db.selectFrom('webhook_deliveries as d').select(['d.id', 'd.attempts'])
    .where('d.status', '=', 'queued').where('d.next_attempt_at', '<', late)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as e').select('e.id')
      .whereRef('e.receiver', '=', 'd.receiver').whereRef('e.user_id', '=', 'd.user_id')
      .where('e.status', '=', 'queued').whereRef('e.seq', '<', 'd.seq'))))
    .execute()
  for (const head of heads) await deps.jobs.send('webhook', { id: head.id, attempt: head.attempts })
  return heads.length
}
