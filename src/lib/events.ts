// Events: one typed record of everything that happened (SECURITY.md,
// Logging: who, what, target, IP, time in UTC), written in the caller's
// transaction so that it exists exactly when the change does.
//
// Each feature declares its own event types in its folder (events.ts), by
// adding to EventCatalog:
//
//   declare module '../../lib/events.ts' {
//     interface EventCatalog { 'phone.set': { personal: { phone: string } } }
//   }
//
// `details` holds facts (ids, reasons, counts); `personal` holds values that
// identify a person (an address, a phone, a name). Both are shown in the
// activity log; personal values are kept under keys recorded with the row,
// so that scrubPersonal() can remove them by user and keep the facts.
// Callers never pass a password, code, token or secret.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import type { MessageKey } from './i18n.ts'
import { queueWebhook } from './webhooks/outbox.ts'

/** A value in an event's details; undefined is left out. */
export type Fact = string | number | boolean | null | undefined

/** Event type → what it carries. Empty here: each feature's events.ts adds its own. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface EventCatalog {}

export type EventType = Extract<keyof EventCatalog, string>

/** An event that carries nothing beyond who, whom, where and when. */
export interface Bare { details?: never, personal?: never }

interface Shape { details?: Record<string, Fact>, personal?: Record<string, string | null | undefined> }

interface Common {
  accountId: string | null
  /** Who did it: null for the provider, the system or someone not signed in. */
  actorUserId: string | null
  /** Whom it was done to, when that is a user. */
  targetUserId?: string | null
  /** Whose personal values `personal` holds: the target, else the actor, unless given. */
  personalOf?: string | null
  ip: string | null
  at: Date
}

/** One event: its type and exactly the details and personal values that type declares. */
export type AppEvent = { [K in EventType]: Common & { type: K } & (EventCatalog[K] extends Shape ? EventCatalog[K] : never) }[EventType]

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** An event without who, where and when: for a feature's helper that fills those in. */
export type EventOf = DistributiveOmit<AppEvent, 'accountId' | 'actorUserId' | 'ip' | 'at'>

/** Event types a feature declares, each with the catalog key of its sentence in the activity log. */
export type EventSentences = { [K in EventType]?: MessageKey & `event.${K}` }

// PostgreSQL's jsonb cannot hold U+0000.
function storable (values: Record<string, Fact> | undefined): Record<string, Fact> {
  const out: Record<string, Fact> = {}
  for (const [k, v] of Object.entries(values ?? {})) out[k] = typeof v === 'string' ? v.replaceAll('\0', '\uFFFD') : v
  return out
}

/**
 * Writes the event's audit row in the caller's transaction (or on db). This
 * is the one place events are written: what follows from an event (the
 * webhook outbox) is added here, in the same transaction.
 */
export async function recordEvent (db: Kysely<DB>, event: AppEvent): Promise<void> {
  const { details, personal } = event as Common & { type: EventType } & Shape
  const personalKeys = Object.keys(personal ?? {})
  await db.insertInto('audit_log').values({
    account_id: event.accountId,
    actor_user_id: event.actorUserId,
    target_user_id: event.targetUserId ?? null,
    action: event.type,
    ip: event.ip,
    details: JSON.stringify(storable({ ...details, ...personal })),
    created_at: event.at,
    personal_of: personalKeys.length === 0 ? null : (event.personalOf ?? event.targetUserId ?? event.actorUserId),
    personal_keys: personalKeys.length === 0 ? null : personalKeys
  }).execute()
  await queueWebhook(db, event)
}

/** Removes one user's personal values from the log (a deletion request): the rows and their facts stay. */
export async function scrubPersonal (db: Kysely<DB>, userId: string): Promise<number> {
  const result = await db.updateTable('audit_log')
    .set({ details: sql<string>`details - personal_keys`, personal_keys: null, personal_of: null })
    .where('personal_of', '=', userId)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
