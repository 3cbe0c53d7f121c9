// The Profile page: full name and password (the phone is its own feature).
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { profileExport } from './export-sections.ts'

export { renderProfile } from './view.ts'

export const profile: Feature = {
  name: 'profile',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  nav: [{ menu: 'client', label: 'nav.profile', path: 'client/profile' }],
  events: {
    'profile.name_changed': 'event.profile.name_changed',
    'password.change_failed': 'event.password.change_failed',
    'password.changed': 'event.password.changed'
  },
  personalData: { export: profileExport }
}
