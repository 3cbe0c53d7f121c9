import { type Kysely, sql } from 'kysely'

// Notifications and Telegram (SPEC §4.6, §4.8).
// - notification_settings: the user's choice per notification type and
//   channel; a type and channel without a row take the catalog's default
//   (the catalog is code or NOTIFICATIONS_FILE, so the type is not a foreign key).
// - telegram_links: the chat the bot's webhook linked to the user (/start
//   <code>); one chat per user and one user per chat. `support`: "Enable
//   interaction with technical support". The one-time link codes are rows
//   of `tokens` (purpose 'telegram-link', hashed, 10 min).
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('notification_settings')
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('mail', 'sms', 'telegram')`))
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_settings_pkey', ['user_id', 'type', 'channel'])
    .execute()

  await db.schema.createTable('telegram_links')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('chat_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('username', 'text')
    .addColumn('support', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('linked_at', 'timestamptz', (c) => c.notNull())
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('telegram_links').execute()
  await db.schema.dropTable('notification_settings').execute()
}
