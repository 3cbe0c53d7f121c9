// User settings (/client/settings): the blocks the features declare
// (Feature.settings), each linking to its own page.
import type { Feature } from '../../lib/feature.ts'
import settingsRoutes from './routes.ts'

export const settings: Feature = {
  name: 'settings',
  routes: settingsRoutes,
  nav: [{ menu: 'client', label: 'nav.settings', path: 'client/settings' }]
}
