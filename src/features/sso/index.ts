// SSO handoff (SPEC §6): the provider asks for a single-use link that signs
// a user in after one click (the CLI's sso:create, the provider API's
// POST /provider-api/v1/sso: both call createSsoLink); /sso shows the
// button and its POST signs in through completeSignIn. Other code imports
// this entry only.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import { commands } from './commands.ts'
import './events.ts'

export { createSsoLink, SSO_TTL_SECONDS, type SsoLinkResult } from './service.ts'

export const sso: Feature = {
  name: 'sso',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  commands,
  events: {
    'sso.link_created': 'event.sso.link_created',
    'sso.link_refused': 'event.sso.link_refused'
  }
}
