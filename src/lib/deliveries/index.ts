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
import type { NotificationTypeDef } from '../notification-types.ts'
import { seal } from '../sealed.ts'
import { unsubscribeToken } from '../unsubscribe.ts'
import { type Channel, type ChannelMessages, channelSenders } from './channels.ts'
import { deliver, sendLegacyJob } from './send.ts'
import { type NotificationParams, type NotificationType, render, templates, withUnsubscribe } from './templates.ts'

export type { Channel } from './channels.ts'
export type { DeliveryJob } from './send.ts'
export type { NotificationParams, NotificationType } from './templates.ts'
export { neutraliseUserText } from './user-text.ts'

type NotifyDeps = Pick<Deps, 'config' | 'clock' | 'jobs' | 'keys'>

export interface NotifyOptions {
  /** Not sent after this: the link or code it carries is dead by then. */
  expiresAt?: Date
  /** The user's marketing consents (the privacy feature's marketingConsent), for a marketing type: none given, none held. */
  consent?: MarketingConsent
}

/** Whether the user consented to marketing by email and by SMS. */
export interface MarketingConsent { email: boolean, sms: boolean }

/** What a channel needs to know of a user to reach them, and what they chose for the notification's type. */
export interface Recipient {
  id: string
  email: string
  full_name: string
  language: string
  time_zone: string
  phone: string | null
  phone_verified: boolean
  telegram_chat_id: string | null
  /** The user's stored choices for the type, per channel; a channel not there has the catalog's default. */
  choices: Partial<Record<Channel, boolean>>
  consent: MarketingConsent
}

export const CHANNELS: readonly Channel[] = ['mail', 'sms', 'telegram']

/** Whether the user can be reached on the channel at all: mail always, SMS with a verified phone, Telegram with a linked chat. */
export function reachable (channel: Channel, user: Pick<Recipient, 'email' | 'phone' | 'phone_verified' | 'telegram_chat_id'>): boolean {
  if (channel === 'mail') return user.email !== ''
  if (channel === 'sms') return user.phone_verified && user.phone !== null
  return user.telegram_chat_id !== null
}

/** The catalog's default for a type on a channel: email on for every type but marketing; SMS and Telegram off. */
export function defaultChoice (type: Pick<NotificationTypeDef, 'marketing'>, channel: Channel): boolean {
  return channel === 'mail' && !type.marketing
}

/**
 * Whether the marketing consents let a marketing type out on the channel:
 * email needs the email consent, SMS the SMS one; Telegram, which has no
 * consent document of its own, needs the email one (the written channel).
 */
export function consentAllows (channel: Channel, consent: MarketingConsent): boolean {
  return channel === 'sms' ? consent.sms : consent.email
}

/**
 * The channels a user gets a notification of a catalog type on (SPEC
 * §4.8): a security type always by mail and only so; any other on each
 * channel the user can be reached on and chose (or the catalog's default),
 * a marketing type only where the consents allow it. `type` undefined: a
 * direct message, mailed as it is. Only channels the notification has a
 * form for (`forms`) are kept.
 */
export function channelsFor (type: NotificationTypeDef | undefined, user: Recipient, forms: readonly Channel[] = CHANNELS): Channel[] {
  const has = (c: Channel): boolean => forms.includes(c) && reachable(c, user)
  if (type === undefined || type.security) return has('mail') ? ['mail'] : []
  return CHANNELS.filter((c) => has(c) &&
    (user.choices[c] ?? defaultChoice(type, c)) &&
    (!type.marketing || consentAllows(c, user.consent)))
}

function addressOf (channel: Channel, user: Recipient): string | undefined {
  if (channel === 'mail') return user.email
  if (channel === 'telegram') return user.telegram_chat_id ?? undefined
  return user.phone_verified && user.phone !== null ? user.phone : undefined
}

async function findRecipient (trx: Kysely<DB>, userId: string, type?: string, consent?: MarketingConsent): Promise<Recipient | undefined> {
  const user = await trx.selectFrom('users').leftJoin('telegram_links', 'telegram_links.user_id', 'users.id')
    .select(['users.id', 'users.email', 'users.full_name', 'users.language', 'users.time_zone', 'users.phone', 'users.phone_verified', 'telegram_links.chat_id as telegram_chat_id'])
    .where('users.id', '=', userId).executeTakeFirst()
  if (user === undefined) return undefined
  const rows = type === undefined
    ? []
    : await trx.selectFrom('notification_settings').select(['channel', 'enabled']).where('user_id', '=', userId).where('type', '=', type).execute()
  return { ...user, choices: Object.fromEntries(rows.map((r) => [r.channel, r.enabled])), consent: consent ?? { email: false, sms: false } }
}

/** The channels a template has a form for. */
function formsOf (type: NotificationType): Channel[] {
  const t = templates[type]
  return t.mail !== undefined ? (t.text !== undefined ? ['mail', 'sms', 'telegram'] : ['mail']) : (t.text !== undefined ? ['sms', 'telegram'] : [])
}

/**
 * Notifies a user: resolves their language, channels and addresses and
 * queues one delivery per channel in the transaction. Returns the channels.
 */
export async function notify<T extends NotificationType> (deps: NotifyDeps, trx: Kysely<DB>, userId: string, type: T, params: NotificationParams[T], opts: NotifyOptions = {}): Promise<Channel[]> {
  const template = templates[type] as { of?: (p: NotificationParams[T]) => string }
  const key = template.of?.(params)
  const kind = key === undefined ? undefined : deps.config.notificationCatalog.byKey.get(key)
  if (key !== undefined && kind === undefined) throw new Error(`notification type "${key}" is not in the catalog`)
  const user = await findRecipient(trx, userId, key, opts.consent)
  if (user === undefined) return []
  const channels = channelsFor(kind, user, formsOf(type))
  for (const channel of channels) {
    const address = addressOf(channel, user)
    if (address === undefined) continue
    // Every notification mail of a type the user can switch off carries its one-click unsubscribe (RFC 8058).
    const unsubscribe = channel === 'mail' && kind !== undefined && !kind.security ? unsubscribeToken(deps.keys.unsubscribe, { userId: user.id, type: kind.key, channel }) : undefined
    await queueDelivery(deps, trx, { channel, address, userId: user.id, language: user.language, timeZone: user.time_zone, name: user.full_name, email: user.email, unsubscribe }, type, params, opts)
  }
  return channels
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

interface Target { channel: Channel, address: string, userId: string | null, language: string, timeZone: string, name?: string, email?: string, unsubscribe?: string }

async function queueDelivery<T extends NotificationType> (deps: NotifyDeps, trx: Kysely<DB>, to: Target, type: T, params: NotificationParams[T], opts: NotifyOptions): Promise<void> {
  const lang = isLanguage(to.language) ? to.language : 'en'
  const rendered = render(deps.config, lang, type, params, { name: to.name, email: to.email, timeZone: to.timeZone })
  let message: ChannelMessages[Channel]
  if (to.channel === 'mail' && rendered.mail !== undefined) {
    const mail = to.unsubscribe === undefined ? rendered.mail : withUnsubscribe(lang, rendered.mail, `${deps.config.linkBase}unsubscribe/${to.unsubscribe}`)
    message = { to: to.address, ...mail }
  }
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
