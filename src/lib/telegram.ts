// Outgoing Telegram messages: the Bot API's sendMessage at
// <TELEGRAM_API_URL>/bot<TELEGRAM_BOT_TOKEN>/sendMessage. A failed call
// throws (the delivery is tried again later, src/lib/deliveries/); the
// error says what the Bot API answered, never the token.
import type { Kysely } from 'kysely'
import type { Config } from '../config.ts'
import type { DB } from '../db/schema.ts'
import { recordEvent } from './events.ts'

export interface TelegramMessage {
  /** The chat the bot's webhook linked to the user (telegram_links.chat_id). */
  chatId: string
  text: string
}

export type SendTelegram = (message: TelegramMessage) => Promise<void>

/** What the Bot API answered to a call that did not succeed. */
export class TelegramApiError extends Error {
  constructor (readonly status: number, readonly description: string, readonly retryAfterSeconds: number | undefined) {
    super(`Telegram Bot API answered ${status}: ${description}`)
    this.name = 'TelegramApiError'
  }
}

export function createTelegramSender (config: Pick<Config, 'telegramBotToken' | 'telegramApiUrl'>): SendTelegram {
  const token = config.telegramBotToken
  if (token === undefined) {
    return async () => { throw new Error('Telegram is not set up: TELEGRAM_BOT_TOKEN is unset') }
  }
  const url = `${config.telegramApiUrl.replace(/\/$/, '')}/bot${token}/sendMessage`
  return async (m) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: m.chatId, text: m.text }),
      signal: AbortSignal.timeout(10_000)
    })
    const body = await res.json().catch(() => undefined) as { ok?: boolean, description?: string, parameters?: { retry_after?: number } } | undefined
    if (!res.ok || body?.ok !== true) {
      throw new TelegramApiError(res.status, body?.description ?? 'no description', body?.parameters?.retry_after)
    }
  }
}

/**
 * True when the Bot API said the bot can never write to this chat again:
 * a 403 (Forbidden: bot was blocked by the user, user is deactivated, bot
 * was kicked, can't initiate conversation) or a 400 "chat not found".
 * A bad token is a 401 and leaves the chat alone: it is the provider's fault.
 */
export function chatGone (err: unknown): boolean {
  if (!(err instanceof TelegramApiError)) return false
  return err.status === 403 || (err.status === 400 && /chat not found/i.test(err.description))
}

/**
 * Unlinks the chat the bot cannot reach any more (the Telegram feature's
 * link, telegram_links) and records it for the user's activity log. Another
 * try of the same delivery finds nothing to unlink.
 */
export async function forgetChat (db: Kysely<DB>, chatId: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('telegram_links').where('chat_id', '=', chatId).returning('user_id').executeTakeFirst()
    if (gone === undefined) return
    const user = await trx.selectFrom('users').select('account_id').where('id', '=', gone.user_id).executeTakeFirst()
    await recordEvent(trx, { type: 'telegram.chat_lost', accountId: user?.account_id ?? null, actorUserId: null, targetUserId: gone.user_id, ip: null, at: now })
  })
}
