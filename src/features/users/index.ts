// Users of the account and their permissions, and the link that confirms an
// email change a user manager made.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { eraseTokens } from './queries.ts'

export { deleteUserRow } from './service.ts'
export { effectivePermissions } from './permissions.ts'
export { emailHolder } from './queries.ts'

export const users: Feature = {
  name: 'users',
  personalData: { erase: eraseTokens },
  routes: lazyRoutes(async () => await import('./routes.ts'), async () => await import('./permission-routes.ts'), async () => await import('./email-routes.ts')),
  nav: [
    { menu: 'client', label: 'nav.users', path: 'client/users', permission: 'users.view' },
    { menu: 'tools', label: 'nav.addUser', path: 'client/users/new', permission: 'users.manage' }
  ],
  operations: {
    'users.add': 'confirm.op.usersAdd',
    'users.edit': 'confirm.op.usersEdit',
    'users.enable': 'confirm.op.usersEnable',
    'users.disable': 'confirm.op.usersDisable',
    'users.delete': 'confirm.op.usersDelete',
    permissions: 'confirm.op.permissions'
  },
  events: {
    'account.created': 'event.account.created',
    'user.created': 'event.user.created',
    'user.invitation_resent': 'event.user.invitation_resent',
    'user.updated': 'event.user.updated',
    'user.email_change_requested': 'event.user.email_change_requested',
    'user.email_changed': 'event.user.email_changed',
    'user.address_use_refused': 'event.user.address_use_refused',
    'user.disabled': 'event.user.disabled',
    'user.enabled': 'event.user.enabled',
    'user.deleted': 'event.user.deleted',
    'permissions.changed': 'event.permissions.changed',
    'permissions.full_access': 'event.permissions.full_access'
  }
}
