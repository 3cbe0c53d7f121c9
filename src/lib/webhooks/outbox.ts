// The webhook outbox (SPEC §6): which audit events a billing front end is
// told of, and what each webhook carries. recordEvent (src/lib/events.ts)
// calls queueWebhook in the caller's transaction, so a webhook exists
// exactly when its change does: a change that rolls back sends nothing, and
// no change commits without its webhook. Guarantees:
// - each user's webhooks are numbered (webhook_sequences) in the order their
//   transactions commit: the counter's row stays locked until then;
// - data carries ids, states and what changed, never a secret (no password,
//   code, token, TOTP key); it is the state right after the change;
// - the message id (the webhook-id header) is made here, once: retries and
//   every receiver get the same one, so receivers can drop duplicates.
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB, PrivacyRequestKind } from '../../db/schema.ts'
import type { AppEvent, EventType } from '../events.ts'

export type WebhookType = 'user.created' | 'user.updated' | 'user.disabled' | 'user.enabled' | 'user.deleted' |
  'permissions.changed' | 'two_factor.changed' | 'privacy_request.created' | 'privacy_request.updated'

/** Audit event type → the webhook it sends. Every other event type sends none. */
export const WEBHOOK_OF = {
  'account.created': 'user.created',
  'user.created': 'user.created',
  'user.updated': 'user.updated',
  'user.email_changed': 'user.updated',
  'profile.name_changed': 'user.updated',
  'phone.set': 'user.updated',
  'phone.verified': 'user.updated',
  'phone.cleared': 'user.updated',
  'phone.removed_by_provider': 'user.updated',
  'user.disabled': 'user.disabled',
  'user.enabled': 'user.enabled',
  'user.deleted': 'user.deleted',
  'permissions.changed': 'permissions.changed',
  'permissions.full_access': 'permissions.changed',
  'totp.enabled': 'two_factor.changed',
  'totp.disabled': 'two_factor.changed',
  'totp.reset_by_provider': 'two_factor.changed',
  'privacy_request.created': 'privacy_request.created',
  'privacy_request.updated': 'privacy_request.updated'
} as const satisfies { [K in EventType]?: WebhookType }

type Source = keyof typeof WEBHOOK_OF

function isSource (type: string): type is Source {
  return Object.hasOwn(WEBHOOK_OF, type)
}

/** What changed in a user.updated, per source event. */
function changedBy (event: AppEvent): string[] {
  switch (event.type) {
    case 'user.updated': return [...(event.details.nameChanged ? ['name'] : []), ...(event.details.phoneChanged === true ? ['phone'] : [])]
    case 'user.email_changed': return ['email']
    case 'profile.name_changed': return ['name']
    default: return ['phone']
  }
}

/** The user as the provider API shows them (GET /users/{id}), without lastLoginAt. */
async function userSnapshot (db: Kysely<DB>, userId: string): Promise<Record<string, unknown> | undefined> {
  const u = await db.selectFrom('users')
    .select(['id', 'account_id', 'email', 'full_name', 'phone', 'phone_verified', 'status', 'is_owner', 'two_factor_enabled'])
    .where('id', '=', userId).executeTakeFirst()
  if (u === undefined) return undefined
  return { userId: u.id, accountId: u.account_id, email: u.email, name: u.full_name, phone: u.phone, phoneVerified: u.phone_verified, status: u.status, owner: u.is_owner, twoFactor: u.two_factor_enabled }
}

/** The webhook's data for the event, or undefined when it sends none (nothing changed, no user). */
async function dataOf (db: Kysely<DB>, event: AppEvent & { type: Source }, userId: string): Promise<Record<string, unknown> | undefined> {
  const ids = { userId, accountId: event.accountId }
  switch (WEBHOOK_OF[event.type]) {
    case 'user.created': return await userSnapshot(db, userId) ?? ids
    case 'user.updated': {
      const changed = changedBy(event)
      if (changed.length === 0) return undefined
      return { ...(await userSnapshot(db, userId) ?? ids), changed }
    }
    case 'user.disabled': return { ...ids, status: 'disabled' }
    case 'user.enabled': return { ...ids, status: 'active' }
    case 'user.deleted': return ids
    case 'permissions.changed': {
      const user = await db.selectFrom('users').select(['is_owner', 'full_access']).where('id', '=', userId).executeTakeFirst()
      const held = await db.selectFrom('user_permissions').select('permission').where('user_id', '=', userId).orderBy('permission').execute()
      // With fullAccess the sender lists the whole catalog (it has the configuration).
      return { ...ids, fullAccess: user?.is_owner === true || user?.full_access === true, permissions: held.map((p) => p.permission) }
    }
    case 'two_factor.changed':
      return { ...ids, enabled: event.type === 'totp.enabled', by: event.type === 'totp.reset_by_provider' ? 'provider' : 'user' }
    case 'privacy_request.created':
    case 'privacy_request.updated': {
      // The request the event is about: the user's of that kind changed at that very moment (the log names no request id).
      const r = await db.selectFrom('privacy_requests').select(['id', 'kind', 'status', 'reason'])
        .where('user_id', '=', userId).where('kind', '=', (event as { details: { kind: PrivacyRequestKind } }).details.kind)
        .where('updated_at', '=', event.at).orderBy('id', 'desc').limit(1).executeTakeFirst()
      if (r === undefined) return undefined
      return { ...ids, requestId: r.id, kind: r.kind, status: r.status, reason: r.reason }
    }
  }
}

/** Queues the event's webhook, if it sends one, in the caller's transaction. */
export async function queueWebhook (db: Kysely<DB>, event: AppEvent): Promise<void> {
  if (!isSource(event.type)) return
  const source = event as AppEvent & { type: Source }
  const userId = source.type === 'user.deleted' ? source.details.userId : source.targetUserId
  if (userId === null || userId === undefined) return
  const data = await dataOf(db, source, userId)
  if (data === undefined) return
  // The lock on the counter's row orders this user's webhooks by commit.
  const { last_seq: seq } = await db.insertInto('webhook_sequences').values({ user_id: userId, last_seq: '1' })
    .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ last_seq: eb('webhook_sequences.last_seq', '+', '1') })))
    .returning('last_seq').executeTakeFirstOrThrow()
  await db.insertInto('webhook_events').values({
    message_id: `msg_${randomUUID().replaceAll('-', '')}`,
    user_id: userId,
    account_id: event.accountId,
    seq,
    type: WEBHOOK_OF[source.type],
    data: JSON.stringify(data),
    created_at: event.at
  }).execute()
}
