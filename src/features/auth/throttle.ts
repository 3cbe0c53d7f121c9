// Sign-in throttle (SPEC §2). Failed password checks are counted per email
// address over the last hour, since its last successful sign-in:
// - the first FREE_FAILURES are free;
// - after that each try waits 2^(n - FREE_FAILURES) seconds (at most
//   MAX_BACKOFF_SECONDS) after the previous failure;
// - at HOURLY_LIMIT failures the address is refused until the oldest ages out.
// Per client IP, IP_HOURLY_LIMIT failures a hour is the second line.
// A refused try is answered exactly like a wrong password, and is recorded
// as throttled so that it does not extend the lock.
import type { FailureCounts } from './queries.ts'

export const WINDOW_SECONDS = 3600
export const FREE_FAILURES = 5
export const MAX_BACKOFF_SECONDS = 300
export const HOURLY_LIMIT = 20
export const IP_HOURLY_LIMIT = 100

export function backoffSeconds (failures: number): number {
  if (failures < FREE_FAILURES) return 0
  return Math.min(2 ** (failures - FREE_FAILURES), MAX_BACKOFF_SECONDS)
}

export function isThrottled (counts: FailureCounts, now: Date): boolean {
  if (counts.ip >= IP_HOURLY_LIMIT) return true
  if (counts.email >= HOURLY_LIMIT) return true
  const wait = backoffSeconds(counts.email)
  return wait > 0 && counts.emailLast !== null && now.getTime() - counts.emailLast.getTime() < wait * 1000
}
