// Housekeeping run by the job queue every ten minutes: ended sessions, used
// or expired links, old sign-in attempts, spent limit counters, old
// code-send records and ended deliveries are deleted.
import { addSeconds } from '../../lib/clock.ts'
import { deleteStaleCounters } from '../../lib/limits.ts'
import type { Deps } from '../../types.ts'

export const ATTEMPTS_KEPT_DAYS = 90
/** Sent and failed deliveries stay this long (their messages are already gone): long enough to look into a failure. */
export const DELIVERIES_KEPT_DAYS = 7

export async function cleanUp (deps: Pick<Deps, 'db' | 'clock' | 'config'>): Promise<void> {
  const { db, config } = deps
  const now = deps.clock.now()
  await db.deleteFrom('sessions').where((eb) => eb.or([
    eb('last_seen_at', '<', addSeconds(now, -config.sessionIdleMinutes * 60)),
    eb('created_at', '<', addSeconds(now, -config.sessionAbsoluteHours * 3600)),
    eb('ends_at', '<', now)
  ])).execute()
  await db.deleteFrom('tokens').where('expires_at', '<', addSeconds(now, -24 * 3600)).execute()
  await db.deleteFrom('login_attempts').where('created_at', '<', addSeconds(now, -ATTEMPTS_KEPT_DAYS * 24 * 3600)).execute()
  await deleteStaleCounters(db, now)
  // Resend limits look back one hour at most.
  await db.deleteFrom('code_sends').where('created_at', '<', addSeconds(now, -24 * 3600)).execute()
  await db.deleteFrom('deliveries').where('status', '<>', 'queued')
    .where('created_at', '<', addSeconds(now, -DELIVERIES_KEPT_DAYS * 24 * 3600)).execute()
}
