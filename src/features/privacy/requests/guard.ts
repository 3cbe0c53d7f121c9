// A completed restriction makes the user's profile read-only (SPEC §4.3):
// every route that changes the user's personal data says so in its config
// (config.personalData: the page it answers from), and this guard refuses
// it while users.restricted holds, before any re-confirmation prompt:
// the page again with the reason as its message, nothing changed.
import type { Guard } from '../../../plugins/guards.ts'
import { routeConfig } from '../../../lib/route-config.ts'

export const restrictionGuard: Guard = {
  name: 'personal-data-restriction',
  check (request, reply) {
    const back = routeConfig(request).personalData
    if (back === undefined || request.user?.restricted !== true || request.method === 'GET') return undefined
    request.session.flash = { type: 'error', text: 'privacy.requests.restricted' }
    return reply.redirect(`${request.server.deps.config.basePath}${back}`, 303)
  }
}
