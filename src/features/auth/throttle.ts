// Sign-in throttle (SPEC §2), on the shared limit counters (lib/limits.ts).
// Failed password checks are counted per email address in an hour, since
// its last completed sign-in:
// - the first FREE_FAILURES are free;
// - after that each try waits 2^(n - FREE_FAILURES) seconds (at most
//   MAX_BACKOFF_SECONDS) after the previous one;
// - at HOURLY_LIMIT the address is refused until the hour has passed.
// Per client IP, IP_HOURLY_LIMIT failures an hour is the second line.
// The attempt is reserved on both counters before the password is checked,
// so parallel tries cannot all be evaluated. A refused try is answered
// exactly like a wrong password and does not extend the lock.
import { backoffSeconds as backoff, type LimitRule } from '../../lib/limits.ts'

export const WINDOW_SECONDS = 3600
export const FREE_FAILURES = 5
export const MAX_BACKOFF_SECONDS = 300
export const HOURLY_LIMIT = 20
export const IP_HOURLY_LIMIT = 100

export const emailRule: LimitRule = {
  kind: 'login.email',
  limit: HOURLY_LIMIT,
  windowSeconds: WINDOW_SECONDS,
  backoff: { free: FREE_FAILURES, maxSeconds: MAX_BACKOFF_SECONDS },
  onSuccess: 'reset'
}

export const ipRule: LimitRule = {
  kind: 'login.ip',
  limit: IP_HOURLY_LIMIT,
  windowSeconds: WINDOW_SECONDS,
  onSuccess: 'release'
}

/** How long a try waits after the previous one when `failures` are counted. */
export function backoffSeconds (failures: number): number {
  return backoff(failures, { free: FREE_FAILURES, maxSeconds: MAX_BACKOFF_SECONDS })
}
