// Sign-in, sign-out, the second step, forgotten passwords and invitations.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { sendPasswordReset } from './service.ts'
import { eraseSignIns } from './queries.ts'

export { INVITE_TTL_SECONDS, issueInviteLink, recordRefusedSignIn, type SignInMethod } from './service.ts'
export { clientOf, completeSignIn, type SignInUser } from './sign-in.ts'
export { findUserByEmail } from './queries.ts'
/** The password throttle's per-address rule: other proofs of the same user are refused while it locks the address. */
export { emailRule as addressThrottleRule } from './throttle.ts'

export const auth: Feature = {
  name: 'auth',
  personalData: { erase: eraseSignIns },
  routes: lazyRoutes(async () => await import('./routes.ts')),
  jobs: (deps) => ({ 'password-reset': { work: async (data) => { await sendPasswordReset(deps, data) } } }),
  events: {
    'login.success': 'event.login.success',
    'login.failed': 'event.login.failed',
    'login.ip_refused': 'event.login.ip_refused',
    'password.reset_requested': 'event.password.reset_requested',
    'password.set_from_invite': 'event.password.set_from_invite',
    'password.reset': 'event.password.reset'
  }
}
