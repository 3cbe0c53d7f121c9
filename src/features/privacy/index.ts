// User settings → Privacy policy and Operations with personal data (SPEC
// §4.2, §4.3) on /client/settings/privacy. Three parts (part.ts):
// documents, exports and requests.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import { documentsPart } from './documents/index.ts'
import { exportsPart } from './exports/index.ts'
import { joinParts } from './part.ts'
import { requestsPart } from './requests/index.ts'

export { marketingConsent, publishPolicy, type PublishInput, type PublishResult } from './documents/index.ts'
// The provider operations on personal-data requests (the CLI's, and the provider API's to come).
export { completeRequest, liftRequest, listRequests, rejectRequest, startRequest, type ProviderRequest, type TransitionResult } from './requests/index.ts'

const joined = joinParts([documentsPart, exportsPart, requestsPart])

export const privacy: Feature = {
  name: 'privacy',
  ...joined,
  routes: async (app) => {
    await app.register(lazyRoutes(async () => await import('./routes.ts')))
    await app.register(joined.routes!)
  },
  settings: [{
    order: 20,
    title: 'privacy.title',
    about: 'privacy.about',
    path: 'client/settings/privacy'
  }]
}
