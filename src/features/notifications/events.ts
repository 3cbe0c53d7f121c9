// Notification events (src/lib/events.ts). Which types and channels changed
// are facts, not personal values.
declare module '../../lib/events.ts' {
  interface EventCatalog {
    /** changes: "<type>:<channel>:on|off" items, space-separated, of the cells the save changed. */
    'notifications.changed': { details: { changes: string } }
    /** An unsubscribe link from a notification mail switched the type off on the channel. */
    'notifications.unsubscribed': { details: { type: string, channel: string } }
    /** The provider sent a notification of this type (CLI or API); channels: those it went out on, space-separated. */
    'notification.sent': { details: { type: string, channels: string, by: 'provider' } }
  }
}
export {}
