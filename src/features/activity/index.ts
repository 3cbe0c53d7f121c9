// Account activity: the account's events, filtered, paged and as CSV.
import type { Feature } from '../../lib/feature.ts'
import { activityExport } from './export-sections.ts'
import activityRoutes from './routes.ts'

export const activity: Feature = {
  name: 'activity',
  routes: activityRoutes,
  nav: [{ menu: 'client', label: 'nav.activity', path: 'client/activity', permission: 'activity.view' }],
  personalData: { export: activityExport }
}
