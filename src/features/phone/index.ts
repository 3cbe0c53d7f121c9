// The phone number on the Profile page, verified by an SMS code.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { erasePhone } from './queries.ts'

export { removePhoneByProvider } from './service.ts'
export { hasLiveCode } from './codes.ts'
export { dropCodes } from './queries.ts'

export const phone: Feature = {
  name: 'phone',
  personalData: { erase: erasePhone },
  routes: lazyRoutes(async () => await import('./routes.ts')),
  operations: { phone: 'confirm.op.phone' },
  events: {
    'phone.set': 'event.phone.set',
    'phone.code_sent': 'event.phone.code_sent',
    'phone.code_failed': 'event.phone.code_failed',
    'phone.verified': 'event.phone.verified',
    'phone.cleared': 'event.phone.cleared',
    'phone.removed_by_provider': 'event.phone.removed_by_provider'
  }
}
