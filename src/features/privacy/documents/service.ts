// Decisions on policy documents (SPEC §4.2). Guarantees:
// - a decision is only ever on the newest effective version of a known
//   document (a forged version, future or past, is refused), and a required
//   document is never withdrawn in self-service;
// - each decision is one row (user, document, version, decision, the
//   clock's now, the request's IP) and its audit event, in one transaction;
// - a user's decisions are taken one at a time (a per-user lock), and one
//   that changes nothing (accepting what is accepted, withdrawing what is
//   not) writes nothing: a double submit, however raced, makes one row.
import { type Kysely, sql } from 'kysely'
import type { DB, PolicyDocument } from '../../../db/schema.ts'
import { recordEvent } from '../../../lib/events.ts'
import type { Deps } from '../../../types.ts'
import { DOCUMENTS, documentKind } from './documents.ts'
import { currentDecisions, effectiveVersions, type PolicyVersion } from './queries.ts'

export interface Actor { id: string, accountId: string }

export type DecisionFailure = 'unknown_document' | 'not_current' | 'required' | 'invalid_decision'
export type DecisionResult = { ok: true, changed: boolean } | { ok: false, reason: DecisionFailure }

async function lockUser (trx: Kysely<DB>, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`policy_decisions:${userId}`}, 0))`.execute(trx)
}

async function write (trx: Kysely<DB>, deps: Pick<Deps, 'clock'>, user: Actor, v: PolicyVersion, decision: 'accepted' | 'withdrawn', ip: string): Promise<void> {
  const at = deps.clock.now()
  await trx.insertInto('policy_decisions').values({ user_id: user.id, document: v.document, version: v.version, decision, decided_at: at, ip }).execute()
  await recordEvent(trx, {
    type: decision === 'accepted' ? 'policy.accepted' : 'policy.withdrawn',
    details: { document: v.document, version: v.version },
    accountId: user.accountId,
    actorUserId: user.id,
    targetUserId: user.id,
    ip,
    at
  })
}

/** Accept or withdraw one document's version, as posted from the page. */
export async function decide (deps: Pick<Deps, 'db' | 'clock'>, user: Actor, input: { document: unknown, version: unknown, decision: unknown }, ip: string): Promise<DecisionResult> {
  const kind = documentKind(input.document)
  if (kind === undefined) return { ok: false, reason: 'unknown_document' }
  if (input.decision !== 'accept' && input.decision !== 'withdraw') return { ok: false, reason: 'invalid_decision' }
  if (input.decision === 'withdraw' && kind.required) return { ok: false, reason: 'required' }
  const decision = input.decision === 'accept' ? 'accepted' : 'withdrawn'
  return await deps.db.transaction().execute(async (trx): Promise<DecisionResult> => {
    await lockUser(trx, user.id)
    // Read under the lock and with the clock's now: the version the user saw may have been superseded.
    const current = (await effectiveVersions(trx, deps.clock.now())).get(kind.key)
    if (current === undefined || String(current.version) !== input.version) return { ok: false, reason: 'not_current' }
    const mine = (await currentDecisions(trx, user.id)).get(kind.key)
    const unchanged = decision === 'accepted'
      ? mine?.decision === 'accepted' && mine.version === current.version
      : mine?.decision !== 'accepted'
    if (unchanged) return { ok: true, changed: false }
    await write(trx, deps, user, current, decision, ip)
    return { ok: true, changed: true }
  })
}

/** The required documents whose newest effective version the user has not accepted: what the acceptance page shows. */
export async function pendingDocuments (db: Kysely<DB>, userId: string, now: Date): Promise<PolicyVersion[]> {
  const [versions, mine] = await Promise.all([effectiveVersions(db, now), currentDecisions(db, userId)])
  return DOCUMENTS.flatMap((d) => {
    const v = versions.get(d.key)
    if (v === undefined || !d.required) return []
    const decided = mine.get(d.key)
    return decided?.decision === 'accepted' && decided.version === v.version ? [] : [v]
  })
}

export type AcceptResult = { ok: true } | { ok: false, pending: PolicyVersion[], missing: ReadonlySet<PolicyDocument> }

/**
 * The acceptance form: every pending document must be ticked, at the version
 * pending now (a newer one that took effect meanwhile is shown, not accepted
 * unseen). All are written in one transaction, or none.
 */
export async function acceptPending (deps: Pick<Deps, 'db' | 'clock'>, user: Actor, ticked: ReadonlySet<string>, ip: string): Promise<AcceptResult> {
  return await deps.db.transaction().execute(async (trx): Promise<AcceptResult> => {
    await lockUser(trx, user.id)
    const pending = await pendingDocuments(trx, user.id, deps.clock.now())
    const missing = new Set(pending.filter((v) => !ticked.has(`${v.document}:${v.version}`)).map((v) => v.document))
    if (missing.size > 0) return { ok: false, pending, missing }
    for (const v of pending) await write(trx, deps, user, v, 'accepted', ip)
    return { ok: true }
  })
}

/**
 * Whether the user agrees to marketing on the channel now: the newest
 * effective version of its document (sms-news, email-news) accepted and not
 * withdrawn since, and the user's processing not restricted.
 */
export async function marketingConsent (db: Kysely<DB>, userId: string, channel: 'sms' | 'email', now: Date): Promise<boolean> {
  const document: PolicyDocument = channel === 'sms' ? 'sms-news' : 'email-news'
  const row = await db.selectFrom('users')
    .select((eb) => [
      'users.restricted',
      eb.selectFrom('policy_versions').select('version')
        .where('document', '=', document).where('effective_at', '<=', now)
        .orderBy('version', 'desc').limit(1).as('effective'),
      eb.selectFrom('policy_decisions as d').select(sql<string>`d.decision || ':' || d.version`.as('last'))
        .whereRef('d.user_id', '=', 'users.id').where('d.document', '=', document)
        .orderBy('d.decided_at', 'desc').orderBy('d.id', 'desc').limit(1).as('last')
    ])
    .where('users.id', '=', userId)
    .executeTakeFirst()
  if (row === undefined || row.restricted || row.effective === null) return false
  return row.last === `accepted:${row.effective}`
}
