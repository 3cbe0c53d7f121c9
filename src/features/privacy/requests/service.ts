// Requests for deletion and for restriction of personal data (SPEC §4.3).
// The user makes one (after re-confirmation); the provider moves it on with
// the operations below (the CLI today, the provider API later), each an
// id-based service with a typed result. Guarantees:
// - at most one open request (received, in_progress) per user and kind:
//   the unique partial index decides between parallel requests;
// - every status change is a conditional UPDATE on the row locked in its
//   transaction, so that two parallel completes do it once; a transition
//   the status does not allow changes nothing;
// - the user is mailed on creation and on every status change, in their
//   language and zone, in the change's transaction;
// - a completed deletion depersonalizes the user in that same transaction
//   (depersonalize below); a completed restriction sets users.restricted
//   until it is lifted.
import type { Kysely } from 'kysely'
import type { DB, PrivacyRequestKind, PrivacyRequestStatus } from '../../../db/schema.ts'
import type { CurrentUser } from '../../../lib/current-user.ts'
import { notify, notifyAddress } from '../../../lib/deliveries/index.ts'
import { recordEvent, scrubPersonal } from '../../../lib/events.ts'
import type { DataSubject } from '../../../lib/personal-data.ts'
import type { Deps } from '../../../types.ts'
import './events.ts'

export const KINDS: readonly PrivacyRequestKind[] = ['deletion', 'restriction']
export const STATUSES: readonly PrivacyRequestStatus[] = ['received', 'in_progress', 'completed', 'rejected', 'lifted']
const OPEN: PrivacyRequestStatus[] = ['received', 'in_progress']

export const isKind = (s: unknown): s is PrivacyRequestKind => KINDS.includes(s as PrivacyRequestKind)
export const isStatus = (s: unknown): s is PrivacyRequestStatus => STATUSES.includes(s as PrivacyRequestStatus)

/** What the provider operations need: the CLI has them too (a queue it does not work). */
export type RequestDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'jobs' | 'keys'>

/** A request as the provider sees it (CLI, API). */
export interface ProviderRequest {
  id: string
  kind: PrivacyRequestKind
  status: PrivacyRequestStatus
  userId: string
  accountId: string
  email: string
  createdAt: string
  updatedAt: string
  reason: string | null
}

export type CreateResult = { ok: true, id: string } | { ok: false, reason: 'already_open' }

export type TransitionFailure =
  | { ok: false, reason: 'not_found' }
  | { ok: false, reason: 'wrong_status', kind: PrivacyRequestKind, status: PrivacyRequestStatus }
  | { ok: false, reason: 'invalid_reason' }
  /** The first user of an account that has other users: the account would be left without its owner. */
  | { ok: false, reason: 'owner_with_users' }
export type TransitionResult = { ok: true, request: ProviderRequest } | TransitionFailure

/** The user's open request of this kind, if any. */
export async function hasOpenRequest (db: Kysely<DB>, userId: string, kind: PrivacyRequestKind): Promise<boolean> {
  const row = await db.selectFrom('privacy_requests').select('id')
    .where('user_id', '=', userId).where('kind', '=', kind).where('status', 'in', OPEN).executeTakeFirst()
  return row !== undefined
}

function isOneOpenViolation (err: unknown): boolean {
  const e = err as { code?: string, constraint?: string }
  return e.code === '23505' && e.constraint === 'privacy_requests_one_open'
}

/** The user asks for the deletion or the restriction of their data. */
export async function createRequest (deps: Pick<Deps, 'db' | 'clock' | 'config' | 'jobs' | 'keys'>, user: CurrentUser, kind: PrivacyRequestKind, client: { ip: string }): Promise<CreateResult> {
  const now = deps.clock.now()
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('privacy_requests')
        .values({ account_id: user.accountId, user_id: user.id, kind, status: 'received', created_at: now, updated_at: now })
        .returning('id').executeTakeFirstOrThrow()
      await trx.insertInto('privacy_request_events').values({ request_id: row.id, status: 'received', by: 'user', at: now }).execute()
      await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'privacy_request.created', ip: client.ip, details: { kind }, at: now })
      await notify(deps, trx, user.id, 'privacy_request', { kind, status: 'received', reason: null, at: now })
      return { ok: true as const, id: row.id }
    })
  } catch (err) {
    // Another request of this kind is open, maybe made a moment ago in parallel.
    if (isOneOpenViolation(err)) return { ok: false, reason: 'already_open' }
    throw err
  }
}

/** One status change the provider may make: from which statuses (and for which kind). */
interface Move { to: PrivacyRequestStatus, from: PrivacyRequestStatus[], kind?: PrivacyRequestKind }
const moves = {
  start: { to: 'in_progress', from: ['received'] },
  complete: { to: 'completed', from: OPEN },
  reject: { to: 'rejected', from: OPEN },
  lift: { to: 'lifted', from: ['completed'], kind: 'restriction' }
} as const satisfies Record<string, Move>
export type MoveName = keyof typeof moves

const requestId = (id: string): string | undefined => /^\d{1,18}$/.test(id) ? id.replace(/^0+(?=\d)/, '') : undefined

function providerQuery (db: Kysely<DB>) {
  return db.selectFrom('privacy_requests as r').innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['r.id', 'r.kind', 'r.status', 'r.user_id', 'r.account_id', 'u.email', 'r.created_at', 'r.updated_at', 'r.reason'])
}
type ProviderRow = Awaited<ReturnType<ReturnType<typeof providerQuery>['executeTakeFirstOrThrow']>>

function toProviderRequest (r: ProviderRow): ProviderRequest {
  return { id: r.id, kind: r.kind, status: r.status, userId: r.user_id, accountId: r.account_id, email: r.email, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), reason: r.reason }
}

/** A page of a list by key: at most `limit` rows after the row whose id is `after`. */
export interface RequestPage { limit: number, after?: string }

/**
 * Every request, oldest first, or those with this status; with a page, at
 * most page.limit of them after page.after, and `next` (the last id) when
 * more follow.
 */
export async function listRequests (deps: Pick<Deps, 'db'>, status?: string, page?: RequestPage): Promise<{ ok: true, requests: ProviderRequest[], next?: string } | { ok: false, reason: 'invalid_status' }> {
  if (status !== undefined && !isStatus(status)) return { ok: false, reason: 'invalid_status' }
  let q = providerQuery(deps.db)
  if (status !== undefined) q = q.where('r.status', '=', status)
  if (page === undefined) return { ok: true, requests: (await q.orderBy('r.id').execute()).map(toProviderRequest) }
  const after = page.after === undefined ? undefined : requestId(page.after)
  if (after !== undefined) q = q.where('r.id', '>', after)
  const rows = await q.orderBy('r.id').limit(page.limit + 1).execute()
  const requests = rows.slice(0, page.limit).map(toProviderRequest)
  return rows.length > page.limit ? { ok: true, requests, next: requests[requests.length - 1]!.id } : { ok: true, requests }
}

/** Who moved a request: the provider API passes its client's IP, the CLI none. */
export interface MoveCaller { ip: string | null }
const CLI: MoveCaller = { ip: null }

export const startRequest = async (deps: RequestDeps, id: string, caller: MoveCaller = CLI): Promise<TransitionResult> => await moveRequest(deps, id, 'start', null, caller)
export const completeRequest = async (deps: RequestDeps, id: string, caller: MoveCaller = CLI): Promise<TransitionResult> => await moveRequest(deps, id, 'complete', null, caller)
export const liftRequest = async (deps: RequestDeps, id: string, caller: MoveCaller = CLI): Promise<TransitionResult> => await moveRequest(deps, id, 'lift', null, caller)
export async function rejectRequest (deps: RequestDeps, id: string, reason: string, caller: MoveCaller = CLI): Promise<TransitionResult> {
  const text = reason.trim()
  if (text === '' || text.length > 2000) return { ok: false, reason: 'invalid_reason' }
  return await moveRequest(deps, id, 'reject', text, caller)
}

async function moveRequest (deps: RequestDeps, id: string, name: MoveName, reason: string | null, caller: MoveCaller): Promise<TransitionResult> {
  const move: Move = moves[name]
  const key = requestId(id)
  if (key === undefined) return { ok: false, reason: 'not_found' }
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx): Promise<TransitionResult> => {
    // Locked: a parallel change of the same request waits, then sees this one's status.
    const row = await trx.selectFrom('privacy_requests').select(['id', 'kind', 'status', 'user_id', 'account_id'])
      .where('id', '=', key).forUpdate().executeTakeFirst()
    if (row === undefined) return { ok: false, reason: 'not_found' }
    const wrong = { ok: false as const, reason: 'wrong_status' as const, kind: row.kind, status: row.status }
    if (!move.from.includes(row.status) || (move.kind !== undefined && move.kind !== row.kind)) return wrong
    const deleting = move.to === 'completed' && row.kind === 'deletion'
    if (deleting && await ownerWithOthers(trx, row.user_id)) return { ok: false, reason: 'owner_with_users' }
    const updated = await trx.updateTable('privacy_requests')
      .set({ status: move.to, updated_at: now, ...(reason === null ? {} : { reason }) })
      .where('id', '=', row.id).where('status', 'in', move.from)
      .returning('id').executeTakeFirst()
    if (updated === undefined) return wrong
    await trx.insertInto('privacy_request_events').values({ request_id: row.id, status: move.to, reason, by: 'provider', at: now }).execute()
    const params = { kind: row.kind, status: move.to, reason, at: now }
    if (deleting) {
      const former = await depersonalize(trx, { id: row.user_id, accountId: row.account_id, at: now })
      // The user is told at the address they had: it rests only sealed in a
      // delivery that names no user, and is dropped once sent.
      if (former !== undefined) await notifyAddress(deps, trx, { channel: 'mail', address: former.email, language: former.language, timeZone: former.timeZone }, 'privacy_request', params)
    } else {
      if (move.to === 'completed' || move.to === 'lifted') {
        await trx.updateTable('users').set({ restricted: move.to === 'completed', updated_at: now }).where('id', '=', row.user_id).execute()
      }
      await notify(deps, trx, row.user_id, 'privacy_request', params)
    }
    await recordEvent(trx, { accountId: row.account_id, actorUserId: null, targetUserId: row.user_id, type: 'privacy_request.updated', ip: caller.ip, details: { kind: row.kind, status: move.to }, at: now })
    const out = await providerQuery(trx).where('r.id', '=', row.id).executeTakeFirstOrThrow()
    return { ok: true, request: toProviderRequest(out) }
  })
}

/** The first user while the account has other users: deleting them would leave the account without its owner. */
async function ownerWithOthers (trx: Kysely<DB>, userId: string): Promise<boolean> {
  const user = await trx.selectFrom('users').select(['account_id', 'is_owner']).where('id', '=', userId).forUpdate().executeTakeFirstOrThrow()
  if (!user.is_owner) return false
  const other = await trx.selectFrom('users').select('id').where('account_id', '=', user.account_id).where('id', '<>', userId).executeTakeFirst()
  return other !== undefined
}

/** The address a depersonalized user gets: unique, and never delivered (RFC 2606 reserves .invalid). */
export const placeholderEmail = (userId: string): string => `deleted-${userId}@invalid`
export const DELETED_NAME = 'Deleted user'

/**
 * A completed deletion, in the caller's transaction: every feature's erase
 * step (Feature.personalData) runs on the user's rows, the audit log keeps
 * its rows without the user's personal values and IPs, queued messages to
 * the user are dropped, and the user row keeps only what the account's
 * records need (its id, account, dates): disabled, signed out everywhere
 * (the phone and 2FA go with their features' steps).
 * Returns where the user could be reached before, for the last notice.
 */
export async function depersonalize (trx: Kysely<DB>, who: { id: string, accountId: string, at: Date }): Promise<{ email: string, language: string, timeZone: string } | undefined> {
  const user = await trx.selectFrom('users').select(['email', 'full_name', 'phone', 'language', 'time_zone'])
    .where('id', '=', who.id).forUpdate().executeTakeFirst()
  if (user === undefined) return undefined
  const subject: DataSubject & { email: string, fullName: string, phone: string | null } = { id: who.id, accountId: who.accountId, email: user.email, fullName: user.full_name, phone: user.phone }
  // Imported when it runs: the features' list imports this feature, so a
  // static import would make loading this module first load the list first.
  const { personalData } = await import('../../index.ts')
  for (const data of personalData()) if (data.erase !== undefined) await data.erase(trx, subject)
  // The IPs of what the user did, of rows holding their values (while
  // personal_of still says so), and of what no one signed in did to them
  // (a failed sign-in from their browser).
  await trx.updateTable('audit_log').set({ ip: null })
    .where((eb) => eb.or([
      eb('actor_user_id', '=', who.id),
      eb('personal_of', '=', who.id),
      eb.and([eb('actor_user_id', 'is', null), eb('target_user_id', '=', who.id)])
    ]))
    .execute()
  await scrubPersonal(trx, who.id)
  // A message still waiting would carry the user's address and name, sealed: it is not sent.
  await trx.updateTable('deliveries').set({ payload: null, status: 'failed', last_error: 'personal data deleted' })
    .where('user_id', '=', who.id).where('status', '=', 'queued').execute()
  await trx.updateTable('users').set({
    email: placeholderEmail(who.id),
    full_name: DELETED_NAME,
    password_hash: null,
    ip_access: 'any',
    ip_allow_list: [],
    bind_session_ip: false,
    status: 'disabled',
    // No marketing, should the user ever be enabled again.
    restricted: true,
    updated_at: who.at
  }).where('id', '=', who.id).execute()
  return { email: user.email, language: user.language, timeZone: user.time_zone }
}
