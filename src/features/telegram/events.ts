// Telegram events (src/lib/events.ts).
import type { Bare } from '../../lib/events.ts'

declare module '../../lib/events.ts' {
  interface EventCatalog {
    /** The bot's webhook took the user's code: the chat is linked. */
    'telegram.linked': Bare
    /** A code of the user was sent from a chat linked to another user: refused. */
    'telegram.link_refused': Bare
    /** The user unlinked the chat on the Telegram page. */
    'telegram.unlinked': Bare
    /** /stop from the linked chat. */
    'telegram.stopped': Bare
    /** The bot can no longer write to the chat (blocked, deactivated, gone): unlinked by the deliveries (src/lib/telegram.ts). */
    'telegram.chat_lost': Bare
    'telegram.support_enabled': Bare
    'telegram.support_disabled': Bare
  }
}
export {}
