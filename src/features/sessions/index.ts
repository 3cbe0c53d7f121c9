// Active sessions, under the Profile page: see them, end one or all others.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { sessionsExport } from './export-sections.ts'
import { eraseSessions } from './queries.ts'

export { describeBrowser } from './service.ts'

export const sessions: Feature = {
  name: 'sessions',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  events: {
    'session.ended': 'event.session.ended',
    'session.ended_others': 'event.session.ended_others'
  },
  personalData: { export: sessionsExport, erase: eraseSessions }
}
