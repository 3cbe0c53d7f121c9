// Housekeeping run by the job queue every ten minutes: ended sessions, used
// or expired links, old sign-in attempts, spent limit counters, old
// code-send records and ended deliveries are deleted.
import { addSeconds } from '../../lib/clock.ts'
import { deleteStaleCounters } from '../../lib/limits.ts'
import type { Deps } from '../../types.ts'
import { deleteEndedDeliveries, deleteEndedSessions, deleteExpiredTokens, deleteOldCodeSends, deleteOldLoginAttempts } from './queries.ts'

export const ATTEMPTS_KEPT_DAYS = 90
/** Sent and failed deliveries stay this long (their messages are already gone): long enough to look into a failure. */
export const DELIVERIES_KEPT_DAYS = 7

export async function cleanUp (deps: Pick<Deps, 'db' | 'clock' | 'config'>): Promise<void> {
  const { db, config } = deps
  const now = deps.clock.now()
  await deleteEndedSessions(db, addSeconds(now, -config.sessionIdleMinutes * 60), addSeconds(now, -config.sessionAbsoluteHours * 3600), now)
  await deleteExpiredTokens(db, addSeconds(now, -24 * 3600))
  await deleteOldLoginAttempts(db, addSeconds(now, -ATTEMPTS_KEPT_DAYS * 24 * 3600))
  await deleteStaleCounters(db, now)
  // Resend limits look back one hour at most.
  await deleteOldCodeSends(db, addSeconds(now, -24 * 3600))
  await deleteEndedDeliveries(db, addSeconds(now, -DELIVERIES_KEPT_DAYS * 24 * 3600))
}
