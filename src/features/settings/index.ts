// User settings (/client/settings): Main settings as the page's form (SPEC
// §4.1: language, time zone, rows per page, access to the control panel from
// an IP list, session binding) above the blocks the other features declare
// (Feature.settings), each linking to its own page. Its guards enforce the
// IP list and the binding on every signed-in request.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import { ipListGuard, sessionBindingGuard } from './access-guards.ts'
import './events.ts'
import { settingsExport } from './export-sections.ts'

export { clearIpListByProvider } from './service.ts'

export const settings: Feature = {
  name: 'settings',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  nav: [{ menu: 'client', label: 'nav.settings', path: 'client/settings' }],
  operations: { 'settings.access': 'confirm.op.settingsAccess' },
  guards: [ipListGuard, sessionBindingGuard],
  events: {
    'settings.saved': 'event.settings.saved',
    'session.ended_by_ip_list': 'event.session.ended_by_ip_list',
    'session.ended_by_binding': 'event.session.ended_by_binding',
    'ip_list.cleared_by_provider': 'event.ip_list.cleared_by_provider'
  },
  personalData: { export: settingsExport }
}
