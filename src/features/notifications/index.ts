// User settings → Notifications (SPEC §4.8): the matrix of notification
// types × channels on /client/settings/notifications, the one-click
// unsubscribe (/unsubscribe/<token>) and the provider's notify command.
// The catalog is lib/notification-types.ts (NOTIFICATIONS_FILE); which
// channels a notification goes out on is lib/deliveries channelsFor.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import type { ExportSection } from '../../lib/personal-data.ts'
import { commands } from './commands.ts'
import './events.ts'

export { sendNotification, type SendResult } from './service.ts'

// The stored choices: a type or channel without a row has the catalog's default (email on, SMS and Telegram off, marketing off).
const notificationsExport: ExportSection[] = [{
  name: 'notification_settings',
  query: (db, subject) => db.selectFrom('notification_settings')
    .select(['type', 'channel', 'enabled', 'updated_at'])
    .where('user_id', '=', subject.id).orderBy('type').orderBy('channel')
}]

export const notifications: Feature = {
  name: 'notifications',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  commands,
  events: {
    'notifications.changed': 'event.notifications.changed',
    'notifications.unsubscribed': 'event.notifications.unsubscribed',
    'notification.sent': 'event.notification.sent'
  },
  settings: [{
    order: 60,
    title: 'notifications.title',
    about: 'notifications.about',
    path: 'client/settings/notifications'
  }],
  personalData: {
    export: notificationsExport,
    erase: async (trx, subject) => {
      await trx.deleteFrom('notification_settings').where('user_id', '=', subject.id).execute()
    }
  }
}
