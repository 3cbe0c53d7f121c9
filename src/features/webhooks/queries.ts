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
