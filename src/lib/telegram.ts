// Outgoing Telegram messages: the Bot API's sendMessage at
// <TELEGRAM_API_URL>/bot<TELEGRAM_BOT_TOKEN>/sendMessage. A failed call
// throws (the delivery is tried again later, src/lib/deliveries/); the
// error says what the Bot API answered, never the token.
import type { Config } from '../config.ts'

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
