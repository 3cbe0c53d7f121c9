// Deliveries: every message the product sends (mail, SMS; Telegram and
// webhooks later) is a row of `deliveries` written in the caller's
// transaction with the job that sends it, so it exists exactly when the
// change that caused it does. Guarantees:
// - the message is rendered at once, in the recipient's language, from the
//   catalogs (templates.ts), with text a user typed neutralised;
// - it rests sealed with the job-payload key (AES-GCM) in the row; the job
//   carries only the row's id: no link or code in clear in the queue tables;
// - each channel retries with its own backoff and cap (channels.ts), and
//   the row says how it went: status, attempts, last_error, next_attempt_at.
//
//   await notify(deps, trx, user.id, 'password_changed', { at: now, ip })
//   await notifyAddress(deps, trx, { channel: 'mail', address: newEmail, userId }, 'email_change_confirm', { … })
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Deps } from '../../types.ts'
import { isLanguage } from '../i18n.ts'
import type { QueueDefinitions, RetryPolicy } from '../jobs.ts'
import { seal } from '../sealed.ts'
import { type Channel, type ChannelMessages, channelSenders } from './channels.ts'
import { deliver, sendLegacyJob } from './send.ts'
import { type NotificationParams, type NotificationType, render, templates } from './templates.ts'

export type { Channel } from './channels.ts'
export type { DeliveryJob } from './send.ts'
export type { NotificationParams, NotificationType } from './templates.ts'
export { neutraliseUserText } from './user-text.ts'

type NotifyDeps = Pick<Deps, 'config' | 'clock' | 'jobs' | 'keys'>

export interface NotifyOptions {
  /** Not sent after this: the link or code it carries is dead by then. */
  expiresAt?: Date
}

/** What a channel needs to know of a user to reach them. */
interface Recipient { id: string, email: string, full_name: string, language: string, time_zone: string, phone: string | null, phone_verified: boolean, telegram_chat_id: string | null }

/**
 * The channels a user gets this type of notification on. Today: mail, for
 * every type written as a mail. The user's notification settings (SPEC
 * §4.8: types × Email, SMS, Telegram; security notices always on) decide
 * here when they come, with the channels the user can be reached on.
 */
export function channelsFor (type: NotificationType, user: Recipient): Channel[] {
  return templates[type].mail !== undefined && user.email !== '' ? ['mail'] : []
}

function addressOf (channel: Channel, user: Recipient): string | undefined {
  if (channel === 'mail') return user.email
  if (channel === 'telegram') return user.telegram_chat_id ?? undefined
  return user.phone_verified && user.phone !== null ? user.phone : undefined
}

async function findRecipient (trx: Kysely<DB>, userId: string): Promise<Recipient | undefined> {
  return await trx.selectFrom('users').leftJoin('telegram_links', 'telegram_links.user_id', 'users.id')
    .select(['users.id', 'users.email', 'users.full_name', 'users.language', 'users.time_zone', 'users.phone', 'users.phone_verified', 'telegram_links.chat_id as telegram_chat_id'])
    .where('users.id', '=', userId).executeTakeFirst()
}

/**
 * Notifies a user: resolves their language, channels and addresses and
 * queues one delivery per channel in the transaction. Returns how many.
 */
export async function notify<T extends NotificationType> (deps: NotifyDeps, trx: Kysely<DB>, userId: string, type: T, params: NotificationParams[T], opts: NotifyOptions = {}): Promise<number> {
  const user = await findRecipient(trx, userId)
  if (user === undefined) return 0
  let queued = 0
  for (const channel of channelsFor(type, user)) {
    const address = addressOf(channel, user)
    if (address === undefined) continue
    await queueDelivery(deps, trx, { channel, address, userId: user.id, language: user.language, timeZone: user.time_zone, name: user.full_name, email: user.email }, type, params, opts)
    queued++
  }
  return queued
}

export interface Destination {
  channel: Channel
  /** An address that is not (yet) the user's: a new email to confirm, a phone number to verify. */
  address: string
  /** Whose it is to be: their name and language are used. */
  userId?: string
  /** The language, when there is no user or it is not theirs to decide. */
  language?: string
  /** The zone times are written in, when there is no user to ask (a user's former address). */
  timeZone?: string
}

/** Sends a notification to one address on one channel, in the user's language (or the one given). */
export async function notifyAddress<T extends NotificationType> (deps: NotifyDeps, trx: Kysely<DB>, to: Destination, type: T, params: NotificationParams[T], opts: NotifyOptions = {}): Promise<void> {
  const user = to.userId === undefined ? undefined : await findRecipient(trx, to.userId)
  await queueDelivery(deps, trx, {
    channel: to.channel,
    address: to.address,
    userId: user?.id ?? null,
    language: to.language ?? user?.language ?? 'en',
    // An address with no user has no zone of its own: UTC, named as such.
    timeZone: user?.time_zone ?? to.timeZone ?? 'UTC',
    name: user?.full_name,
    email: user?.email
  }, type, params, opts)
}

interface Target { channel: Channel, address: string, userId: string | null, language: string, timeZone: string, name?: string, email?: string }

async function queueDelivery<T extends NotificationType> (deps: NotifyDeps, trx: Kysely<DB>, to: Target, type: T, params: NotificationParams[T], opts: NotifyOptions): Promise<void> {
  const lang = isLanguage(to.language) ? to.language : 'en'
  const rendered = render(deps.config, lang, type, params, { name: to.name, email: to.email, timeZone: to.timeZone })
  let message: ChannelMessages[Channel]
  if (to.channel === 'mail' && rendered.mail !== undefined) message = { to: to.address, ...rendered.mail }
  else if (to.channel === 'sms' && rendered.text !== undefined) message = { to: to.address, text: rendered.text }
  else if (to.channel === 'telegram' && rendered.text !== undefined) message = { chatId: to.address, text: rendered.text }
  else throw new Error(`notification ${type} has no ${to.channel} form`)
  const now = deps.clock.now()
  const row = await trx.insertInto('deliveries').values({
    user_id: to.userId,
    channel: to.channel,
    type,
    payload: seal(deps.keys.jobs, message),
    next_attempt_at: now,
    expires_at: opts.expiresAt ?? null,
    created_at: now
  }).returning('id').executeTakeFirstOrThrow()
  await deps.jobs.send(to.channel, { id: row.id, attempt: 0 }, trx)
}

/**
 * The channels' queues, for jobs.define(). pg-boss's own retries here only
 * cover a try that never recorded its outcome (its process died and the
 * job expired, or the database failed): the delivery's backoff is its own.
 */
export function deliveryQueues (deps: Deps): QueueDefinitions {
  const senders = channelSenders(deps)
  const crashRetry: RetryPolicy = { limit: 5, delaySeconds: deps.config.deliveryRetryDelaySeconds, backoff: true }
  return {
    mail: { work: async (job, info) => { if (!await sendLegacyJob(deps, 'mail', senders.mail, job)) await deliver(deps, 'mail', senders.mail, job, info.log) }, retry: crashRetry },
    sms: { work: async (job, info) => { if (!await sendLegacyJob(deps, 'sms', senders.sms, job)) await deliver(deps, 'sms', senders.sms, job, info.log) }, retry: crashRetry },
    telegram: { work: async (job, info) => { await deliver(deps, 'telegram', senders.telegram, job, info.log) }, retry: crashRetry }
  }
}
