// Notifications (SPEC §4.8): the user's matrix of types × channels, saving
// it, the one-click unsubscribe, and sending a notification of a type.
// Guarantees:
// - the matrix acts on the signed-in user only: the form carries no user id;
// - a cell the user cannot use (SMS without a verified phone, Telegram
//   without a linked chat, a marketing type without consent) or a security
//   type is never saved from a form: a post naming one is refused whole;
// - security types are always mailed (lib/deliveries channelsFor), whatever
//   is stored;
// - an unsubscribe link does one thing, switch its type off on its channel,
//   and doing it twice changes nothing the second time.
import { recordEvent } from '../../lib/events.ts'
import { CHANNELS, type Channel, consentAllows, defaultChoice, type MarketingConsent, notify } from '../../lib/deliveries/index.ts'
import type { NotificationTypeDef } from '../../lib/notification-types.ts'
import { readUnsubscribeToken } from '../../lib/unsubscribe.ts'
import type { Deps } from '../../types.ts'
import type { ProviderCaller } from '../provider/index.ts'
import { marketingConsent } from '../privacy/index.ts'
import { storedChoices, telegramLinked, upsertChoices } from './queries.ts'

/** What a cell of the matrix is: a checkbox, or why there is none. */
export type CellState = 'box' | 'always' | 'email-only' | 'unreachable' | 'consent'

export interface MatrixCell { channel: Channel, state: CellState, checked: boolean }
export interface MatrixRow { type: NotificationTypeDef, cells: MatrixCell[] }
export interface Matrix {
  /** Whether the user can be reached on each channel at all. */
  reach: Record<Channel, boolean>
  rows: MatrixRow[]
}

interface MatrixUser { id: string, phone: string | null, phoneVerified: boolean }

async function consentOf (deps: Pick<Deps, 'db' | 'clock'>, userId: string): Promise<MarketingConsent> {
  const now = deps.clock.now()
  return { email: await marketingConsent(deps.db, userId, 'email', now), sms: await marketingConsent(deps.db, userId, 'sms', now) }
}

/** The user's matrix as it stands: each cell's state, a box checked by the stored choice or the catalog's default. */
export async function matrixOf (deps: Pick<Deps, 'db' | 'clock' | 'config'>, user: MatrixUser): Promise<Matrix> {
  const reach: Record<Channel, boolean> = { mail: true, sms: user.phoneVerified && user.phone !== null, telegram: await telegramLinked(deps.db, user.id) }
  const consent = await consentOf(deps, user.id)
  const stored = new Map((await storedChoices(deps.db, user.id)).map((c) => [`${c.type}:${c.channel}`, c.enabled]))
  const rows = deps.config.notificationCatalog.types.map((type): MatrixRow => ({
    type,
    cells: CHANNELS.map((channel): MatrixCell => {
      if (type.security) return { channel, state: channel === 'mail' ? 'always' : 'email-only', checked: channel === 'mail' }
      if (!reach[channel]) return { channel, state: 'unreachable', checked: false }
      if (type.marketing && !consentAllows(channel, consent)) return { channel, state: 'consent', checked: false }
      return { channel, state: 'box', checked: stored.get(`${type.key}:${channel}`) ?? defaultChoice(type, channel) }
    })
  }))
  return { reach, rows }
}

/** The matrix with the boxes as a refused post checked them. */
export function withPosted (matrix: Matrix, posted: ReadonlySet<string>): Matrix {
  return { ...matrix, rows: matrix.rows.map((r) => ({ ...r, cells: r.cells.map((c) => c.state === 'box' ? { ...c, checked: posted.has(`${r.type.key}:${c.channel}`) } : c) })) }
}

export type MatrixError = 'unknown_channel' | 'unknown_type' | 'repeated' | 'locked' | 'unreachable'

/**
 * Reads a matrix post: fields named by channel (mail, sms, telegram), each
 * value a type key (SPEC §4.8: the form's checkbox values). The set of
 * checked cells, or what is wrong with it.
 */
export function parseMatrixForm (matrix: Matrix, body: unknown): { ok: true, checked: Set<string> } | { ok: false, error: MatrixError, checked: Set<string> } {
  const checked = new Set<string>()
  const fields = body !== null && typeof body === 'object' ? Object.entries(body as Record<string, unknown>) : []
  const cells = new Map<string, CellState>(matrix.rows.flatMap((r) => r.cells.map((c) => [`${r.type.key}:${c.channel}`, c.state] as const)))
  let error: MatrixError | undefined
  for (const [name, raw] of fields) {
    if (name === '_csrf') continue
    if (!(CHANNELS as readonly string[]).includes(name)) { error ??= 'unknown_channel'; continue }
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      const key = `${String(value)}:${name}`
      const state = cells.get(key)
      if (state === undefined) { error ??= 'unknown_type'; continue }
      if (checked.has(key)) { error ??= 'repeated'; continue }
      if (state === 'always' || state === 'email-only') { error ??= 'locked'; continue }
      if (state !== 'box') { error ??= 'unreachable'; continue }
      checked.add(key)
    }
  }
  return error === undefined ? { ok: true, checked } : { ok: false, error, checked }
}

/**
 * Saves the boxes of the matrix (every box cell: checked on, unchecked off)
 * for the user, in one transaction, with one audit row naming the cells
 * that changed. Returns those changes.
 */
export async function saveMatrix (deps: Pick<Deps, 'db' | 'clock' | 'config'>, user: { id: string, accountId: string }, matrix: Matrix, checked: ReadonlySet<string>, ip: string): Promise<string[]> {
  const now = deps.clock.now()
  const boxes = matrix.rows.flatMap((r) => r.cells.filter((c) => c.state === 'box').map((c) => ({ type: r.type.key, channel: c.channel, enabled: checked.has(`${r.type.key}:${c.channel}`), was: c.checked })))
  return await deps.db.transaction().execute(async (trx) => {
    // Under the user's row lock: two saves at once each compare with what the other left, so each audit row names only its own changes.
    await trx.selectFrom('users').select('id').where('id', '=', user.id).forUpdate().executeTakeFirst()
    // What is stored now, not what the page showed: two saves in a row each name their own changes.
    const stored = new Map((await storedChoices(trx, user.id)).map((c) => [`${c.type}:${c.channel}`, c.enabled]))
    const byKey = new Map(matrix.rows.map((r) => [r.type.key, r.type]))
    const changes = boxes.filter((b) => (stored.get(`${b.type}:${b.channel}`) ?? defaultChoice(byKey.get(b.type)!, b.channel)) !== b.enabled)
      .map((b) => `${b.type}:${b.channel}:${b.enabled ? 'on' : 'off'}`)
    await upsertChoices(trx, user.id, boxes.map(({ type, channel, enabled }) => ({ type, channel, enabled })), now)
    if (changes.length > 0) {
      await recordEvent(trx, { type: 'notifications.changed', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip, at: now, details: { changes: changes.join(' ') } })
    }
    return changes
  })
}

export interface UnsubscribeTarget { userId: string, accountId: string, email: string, type: NotificationTypeDef, channel: Channel }

/** What an unsubscribe token switches off, or undefined: not ours, a type no longer in the catalog (or a security one), a user gone. */
export async function unsubscribeTarget (deps: Pick<Deps, 'db' | 'config' | 'keys'>, token: string): Promise<UnsubscribeTarget | undefined> {
  const subject = readUnsubscribeToken(deps.keys.unsubscribe, token)
  if (subject === undefined) return undefined
  const type = deps.config.notificationCatalog.byKey.get(subject.type)
  if (type === undefined || type.security) return undefined
  const user = await deps.db.selectFrom('users').select(['id', 'account_id', 'email']).where('id', '=', subject.userId).executeTakeFirst()
  if (user === undefined || user.email === '') return undefined
  return { userId: user.id, accountId: user.account_id, email: user.email, type, channel: subject.channel }
}

/** Switches the token's type off on its channel; idempotent (a second call changes and records nothing). */
export async function unsubscribe (deps: Pick<Deps, 'db' | 'clock' | 'config' | 'keys'>, token: string, ip: string): Promise<UnsubscribeTarget | undefined> {
  const target = await unsubscribeTarget(deps, token)
  if (target === undefined) return undefined
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    // A conditional upsert: only a cell not already off is written, so only the first of two parallel calls records it.
    const changed = await trx.insertInto('notification_settings')
      .values({ user_id: target.userId, type: target.type.key, channel: target.channel, enabled: false, updated_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'type', 'channel']).doUpdateSet({ enabled: false, updated_at: now }).where('notification_settings.enabled', '=', true))
      .returning('user_id').executeTakeFirst()
    if (changed !== undefined) {
      await recordEvent(trx, { type: 'notifications.unsubscribed', accountId: target.accountId, actorUserId: target.userId, targetUserId: target.userId, ip, at: now, details: { type: target.type.key, channel: target.channel } })
    }
  })
  return target
}

export const SUBJECT_MAX = 200
export const TEXT_MAX = 4000

export type SendResult =
  | { ok: true, userId: string, type: string, channels: Channel[] }
  | { ok: false, reason: 'not_found' | 'unknown_type' | 'invalid_subject' | 'invalid_text' }

/**
 * Sends a notification of a catalog type written by the provider (CLI
 * notify, the provider API) to a user, on the channels the user chose for
 * the type: one delivery each, queued in one transaction, so that a channel
 * that is down delays only itself. The subject and text are the provider's,
 * neutralised as typed text (lib/deliveries templates 'notice').
 */
export async function sendNotification (deps: Pick<Deps, 'db' | 'clock' | 'config' | 'jobs' | 'keys'>, userId: string, type: string, subject: string, text: string, caller: ProviderCaller = { ip: null }): Promise<SendResult> {
  const def = deps.config.notificationCatalog.byKey.get(type)
  if (def === undefined) return { ok: false, reason: 'unknown_type' }
  const s = subject.trim()
  if (s === '' || s.length > SUBJECT_MAX || /[\r\n\p{Cc}]/u.test(s)) return { ok: false, reason: 'invalid_subject' }
  const body = text.replace(/\r\n/g, '\n').trim()
  if (body === '' || body.length > TEXT_MAX || /\p{Cc}/u.test(body.replace(/[\n\t]/g, ''))) return { ok: false, reason: 'invalid_text' }
  if (!/^\d{1,18}$/.test(userId)) return { ok: false, reason: 'not_found' }
  const exists = await deps.db.selectFrom('users').select(['id', 'account_id']).where('id', '=', userId).executeTakeFirst()
  if (exists === undefined) return { ok: false, reason: 'not_found' }
  const consent = def.marketing ? await consentOf(deps, userId) : undefined
  const channels = await deps.db.transaction().execute(async (trx) => {
    const sent = await notify(deps, trx, userId, 'notice', { type, subject: s, text: body }, { consent })
    await recordEvent(trx, { accountId: exists.account_id, actorUserId: null, targetUserId: userId, type: 'notification.sent', details: { type, channels: sent.join(' '), by: 'provider' }, ip: caller.ip, at: deps.clock.now() })
    return sent
  })
  return { ok: true, userId, type, channels }
}
