// External authorization services (SPEC §4.4): the provider lists OpenID
// Connect issuers and plain OAuth 2.0 services in AUTH_PROVIDERS_FILE
// (src/lib/auth-services.ts, checked at start); a user binds an identity
// there (authorization code flow with state, PKCE and nonce) and then logs
// in with it; Unbind. Public endpoints /auth/<id>/start and /auth/<id>/callback.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import { commands } from './commands.ts'
import './events.ts'
import { eraseExternalIdentities, externalAuthExport } from './queries.ts'

export const externalAuth: Feature = {
  name: 'external-auth',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  commands,
  personalData: { export: externalAuthExport, erase: eraseExternalIdentities },
  operations: {
    'external-auth.bind': 'confirm.op.externalAuthBind',
    'external-auth.unbind': 'confirm.op.externalAuthUnbind'
  },
  settings: [{
    order: 30,
    title: 'externalAuth.title',
    about: (_user, config) => config.authServices.length > 0 ? 'externalAuth.about' : 'externalAuth.notSetUp',
    path: 'client/settings/external-auth'
  }],
  events: {
    'external_auth.bound': 'event.external_auth.bound',
    'external_auth.bind_refused': 'event.external_auth.bind_refused',
    'external_auth.unbound': 'event.external_auth.unbound'
  }
}
