// Linking a Telegram chat to a user (SPEC §4.6): the page issues a one-time
// code, the bot's webhook takes `/start <code>` from the chat and links it.
// Every answer to the chat goes through the durable queue (deliveries).
import { sql } from 'kysely'
import type { Config } from '../../config.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import { notifyAddress } from '../../lib/deliveries/index.ts'
import { recordEvent } from '../../lib/events.ts'
import { consumeTokenWithData, issueToken, revokeTokens } from '../../lib/tokens.ts'
import type { Deps } from '../../types.ts'
import { LINK_PURPOSE } from './queries.ts'

/** A link code is good for ten minutes (SPEC §4.6). */
export const CODE_TTL_SECONDS = 600

/** Telegram is set up: the bot's token and username (the deep link needs both). */
export function telegramConfigured (config: Pick<Config, 'telegramBotToken' | 'telegramBotUsername'>): boolean {
  return config.telegramBotToken !== undefined && config.telegramBotUsername !== undefined
}

/**
 * A new one-time code for the user; the one before is no longer good. The
 * code is a token (128 random bits, base64url: 22 characters, fit for
 * Telegram's start parameter), stored hashed.
 */
export async function startLink (deps: Pick<Deps, 'db' | 'clock'>, user: CurrentUser): Promise<string> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    // The user's row as a lock: of parallel Links, each replaces the one before, so one code stays live.
    await trx.selectFrom('users').select('id').where('id', '=', user.id).forUpdate().executeTakeFirst()
    await revokeTokens(trx, user.id, LINK_PURPOSE, now)
    return await issueToken(trx, user.id, LINK_PURPOSE, now, CODE_TTL_SECONDS)
  })
}

interface Actor { ip: string }

/** Unlinks the user's chat (the page's Unlink); the chat is told. False when there was none. */
export async function unlink (deps: Deps, user: CurrentUser, ctx: Actor): Promise<boolean> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('telegram_links').where('user_id', '=', user.id).returning('chat_id').executeTakeFirst()
    if (gone === undefined) return false
    await recordEvent(trx, { type: 'telegram.unlinked', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip: ctx.ip, at: now })
    await notifyAddress(deps, trx, { channel: 'telegram', address: String(gone.chat_id), userId: user.id }, 'telegram_unlinked', {})
    return true
  })
}

/** "Enable interaction with technical support": false when no chat is linked. */
export async function setSupport (deps: Pick<Deps, 'db' | 'clock'>, user: CurrentUser, on: boolean, ctx: Actor): Promise<boolean> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('telegram_links').select('support').where('user_id', '=', user.id).forUpdate().executeTakeFirst()
    if (row === undefined) return false
    if (row.support === on) return true
    await trx.updateTable('telegram_links').set({ support: on }).where('user_id', '=', user.id).execute()
    await recordEvent(trx, { type: on ? 'telegram.support_enabled' : 'telegram.support_disabled', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip: ctx.ip, at: now })
    return true
  })
}

// ---- The bot's webhook ----

/** What the webhook reads of a Telegram Update (https://core.telegram.org/bots/api#update). */
export interface IncomingMessage {
  chatId: string
  username: string | null
  /** The sender's language_code: the answer's language when no user is known. */
  language: 'en' | 'ru'
  text: string
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * A text message from a person in a private chat, or undefined for
 * anything else (not an update, another kind of update, a group, a bot):
 * those are answered 200 and ignored, so that Telegram does not send them again.
 */
export function readUpdate (body: unknown): IncomingMessage | undefined {
  if (!isObject(body) || typeof body.update_id !== 'number') return undefined
  const m = body.message
  if (!isObject(m) || !isObject(m.chat) || !isObject(m.from) || typeof m.text !== 'string') return undefined
  if (m.chat.type !== 'private' || m.from.is_bot === true) return undefined
  const id = m.chat.id
  if (!(typeof id === 'number' && Number.isSafeInteger(id)) && !(typeof id === 'string' && /^-?\d{1,19}$/.test(id))) return undefined
  const code = typeof m.from.language_code === 'string' ? m.from.language_code : ''
  return {
    chatId: String(id),
    username: typeof m.from.username === 'string' && m.from.username !== '' ? m.from.username.slice(0, 64) : null,
    language: /^ru\b/i.test(code) ? 'ru' : 'en',
    text: m.text
  }
}

const START = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*$/
const STOP = /^\/stop(?:@[A-Za-z0-9_]+)?\s*$/

export type WebhookOutcome = 'linked' | 'bad-code' | 'chat-taken' | 'stopped' | 'ignored'

/** Acts on one message from a chat: /start <code> links, /stop unlinks; anything else is ignored. */
export async function handleMessage (deps: Deps, msg: IncomingMessage): Promise<WebhookOutcome> {
  const start = START.exec(msg.text)
  if (start !== null) return await link(deps, msg, start[1])
  if (STOP.test(msg.text)) return await stop(deps, msg)
  return 'ignored'
}

async function link (deps: Deps, msg: IncomingMessage, code: string | undefined): Promise<WebhookOutcome> {
  const now = deps.clock.now()
  const toChat = (userId?: string) => ({ channel: 'telegram' as const, address: msg.chatId, ...(userId === undefined ? { language: msg.language } : { userId }) })
  return await deps.db.transaction().execute(async (trx) => {
    // Updates from one chat one at a time: of two codes sent at once from a chat, one links and the other is refused, never a unique violation.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`telegram-chat:${msg.chatId}`}, 0))`.execute(trx)
    // One conditional UPDATE: of two webhooks with the same code, one links.
    const used = code === undefined || code.length > 64 ? undefined : await consumeTokenWithData(trx, code, LINK_PURPOSE, now)
    const user = used === undefined
      ? undefined
      : await trx.selectFrom('users').select(['id', 'account_id']).where('id', '=', used.userId).where('status', '=', 'active').executeTakeFirst()
    if (user === undefined) {
      await notifyAddress(deps, trx, toChat(), 'telegram_code_invalid', {})
      return 'bad-code'
    }
    const holder = await trx.selectFrom('telegram_links').select('user_id').where('chat_id', '=', msg.chatId).executeTakeFirst()
    if (holder !== undefined && holder.user_id !== user.id) {
      await recordEvent(trx, { type: 'telegram.link_refused', accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, ip: null, at: now })
      await notifyAddress(deps, trx, toChat(), 'telegram_chat_taken', {})
      return 'chat-taken'
    }
    // The user's chat before this one, if any, is replaced.
    await trx.insertInto('telegram_links').values({ user_id: user.id, chat_id: msg.chatId, username: msg.username, linked_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ chat_id: msg.chatId, username: msg.username, linked_at: now }))
      .execute()
    await recordEvent(trx, { type: 'telegram.linked', accountId: user.account_id, actorUserId: user.id, targetUserId: user.id, ip: null, at: now })
    await notifyAddress(deps, trx, toChat(user.id), 'telegram_linked', {})
    return 'linked'
  })
}

async function stop (deps: Deps, msg: IncomingMessage): Promise<WebhookOutcome> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('telegram_links').where('chat_id', '=', msg.chatId).returning('user_id').executeTakeFirst()
    if (gone === undefined) return 'ignored'
    const user = await trx.selectFrom('users').select('account_id').where('id', '=', gone.user_id).executeTakeFirst()
    await recordEvent(trx, { type: 'telegram.stopped', accountId: user?.account_id ?? null, actorUserId: gone.user_id, targetUserId: gone.user_id, ip: null, at: now })
    await notifyAddress(deps, trx, { channel: 'telegram', address: msg.chatId, userId: gone.user_id }, 'telegram_unlinked', {})
    return 'stopped'
  })
}
