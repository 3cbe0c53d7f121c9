// Telegram (SPEC §4.6): link the user's chat to the provider's bot with a
// one-time code through a deep link; the bot's webhook completes the link;
// the support switch; Unlink (also /stop from the chat). Messages to the
// chat go out on the deliveries' 'telegram' channel, which unlinks a chat
// the bot can no longer reach (src/lib/deliveries/channels.ts).
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { eraseTelegram, telegramExport } from './queries.ts'
import { telegramConfigured } from './service.ts'

export { telegramConfigured } from './service.ts'

export const telegram: Feature = {
  name: 'telegram',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  personalData: { export: telegramExport, erase: eraseTelegram },
  settings: [{
    order: 50,
    title: 'telegram.title',
    about: (_user, config) => telegramConfigured(config) ? 'telegram.about' : 'telegram.notSetUp',
    path: 'client/settings/telegram',
    status: (user, config) => telegramConfigured(config) ? user.telegramLinked : undefined,
    action: (user, config) => telegramConfigured(config) && !user.telegramLinked ? 'telegram.link' : 'button.open'
  }],
  events: {
    'telegram.linked': 'event.telegram.linked',
    'telegram.link_refused': 'event.telegram.link_refused',
    'telegram.unlinked': 'event.telegram.unlinked',
    'telegram.stopped': 'event.telegram.stopped',
    'telegram.chat_lost': 'event.telegram.chat_lost',
    'telegram.support_enabled': 'event.telegram.support_enabled',
    'telegram.support_disabled': 'event.telegram.support_disabled'
  }
}
