// The user's Telegram link (telegram_links) and link codes (tokens,
// purpose 'telegram-link').
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { EraseStep, ExportSection } from '../../lib/personal-data.ts'

export const LINK_PURPOSE = 'telegram-link'

export interface TelegramLink { chatId: string, username: string | null, support: boolean, linkedAt: Date }

export async function findLink (db: Kysely<DB>, userId: string): Promise<TelegramLink | undefined> {
  const row = await db.selectFrom('telegram_links').select(['chat_id', 'username', 'support', 'linked_at'])
    .where('user_id', '=', userId).executeTakeFirst()
  return row === undefined ? undefined : { chatId: String(row.chat_id), username: row.username, support: row.support, linkedAt: new Date(row.linked_at) }
}

/** The user's link as they may read it: never the chat's id, which is the bot's address for them. */
export const telegramExport: ExportSection[] = [{
  name: 'telegram',
  query: (db, subject) => db.selectFrom('telegram_links')
    .select(['username', 'linked_at', 'support'])
    .where('user_id', '=', subject.id)
}]

/** A completed deletion: the link and every link code of the user go. */
export const eraseTelegram: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('telegram_links').where('user_id', '=', subject.id).execute()
  await trx.deleteFrom('tokens').where('user_id', '=', subject.id).where('purpose', '=', LINK_PURPOSE).execute()
}
