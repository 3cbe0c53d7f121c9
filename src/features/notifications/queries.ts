// The user's stored notification choices (notification_settings: no row is
// the catalog's default) and what makes a channel reachable.
import type { Kysely } from 'kysely'
import type { DB, NotificationChannel } from '../../db/schema.ts'

export interface StoredChoice { type: string, channel: NotificationChannel, enabled: boolean }

export async function storedChoices (db: Kysely<DB>, userId: string): Promise<StoredChoice[]> {
  return await db.selectFrom('notification_settings').select(['type', 'channel', 'enabled']).where('user_id', '=', userId).execute()
}

export async function telegramLinked (db: Kysely<DB>, userId: string): Promise<boolean> {
  return (await db.selectFrom('telegram_links').select('user_id').where('user_id', '=', userId).executeTakeFirst()) !== undefined
}

export async function upsertChoices (db: Kysely<DB>, userId: string, choices: readonly StoredChoice[], now: Date): Promise<void> {
  if (choices.length === 0) return
  await db.insertInto('notification_settings')
    .values(choices.map((c) => ({ user_id: userId, type: c.type, channel: c.channel, enabled: c.enabled, updated_at: now })))
    .onConflict((oc) => oc.columns(['user_id', 'type', 'channel']).doUpdateSet((eb) => ({ enabled: eb.ref('excluded.enabled'), updated_at: eb.ref('excluded.updated_at') })))
    .execute()
}
