// The acceptance gate (SPEC §4.2, a request guard after the built-in ones):
// a signed-in user with a required document's newest effective version not
// accepted (CurrentUser.policyPending, read with the session) reaches only
// the routes that declare config.beforePolicy (logout, the language switch,
// the acceptance page and its post) and static files; any other page is a
// 303 to the acceptance page, remembering where the user was going, and any
// other post is refused. Routes without a user (API, webhooks, signed out)
// are not concerned. Costs nothing when nothing is pending.
import type { Guard } from '../../../plugins/guards.ts'
import { kindOf, refuse, routeKinds } from '../../../plugins/guards.ts'
import { safeReturnTo } from '../../../lib/paths.ts'
import { routeConfig } from '../../../lib/route-config.ts'

export const ACCEPT_PATH = 'client/settings/privacy/accept'

export function acceptPathFor (basePath: string, returnTo: unknown): string {
  const safe = safeReturnTo(basePath, returnTo)
  const page = `${basePath}${ACCEPT_PATH}`
  return safe === undefined || safe.split(/[?#]/)[0] === page ? page : `${page}?return_to=${encodeURIComponent(safe)}`
}

export const policyGuard: Guard = {
  name: 'policy-acceptance',
  check (request, reply) {
    if (request.user?.policyPending !== true || routeConfig(request).beforePolicy === true || routeKinds[kindOf(request)].answers !== 'html') return undefined
    if (request.method === 'GET' || request.method === 'HEAD') {
      return reply.redirect(acceptPathFor(request.server.deps.config.basePath, request.url), 303)
    }
    return refuse(request, reply, 403, 'privacy.accept.first')
  }
}
