// Account activity: the account's events, filtered, paged and as CSV.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import { activityExport } from './export-sections.ts'

export const activity: Feature = {
  name: 'activity',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  nav: [{ menu: 'client', label: 'nav.activity', path: 'client/activity', permission: 'activity.view' }],
  personalData: { export: activityExport }
}
