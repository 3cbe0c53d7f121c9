// Reads of policy versions and decisions. "Effective" is always relative to
// the injectable clock's now, never to the database's: a version is
// invisible before its effective_at.
import type { Kysely, Selectable } from 'kysely'
import type { DB, PolicyDocument, PolicyVersionsTable } from '../../../db/schema.ts'

export type PolicyVersion = Selectable<PolicyVersionsTable>

/** The newest effective version of each document that has one. */
export async function effectiveVersions (db: Kysely<DB>, now: Date): Promise<Map<PolicyDocument, PolicyVersion>> {
  const rows = await db.selectFrom('policy_versions').selectAll()
    .distinctOn('document')
    .where('effective_at', '<=', now)
    .orderBy('document').orderBy('version', 'desc')
    .execute()
  return new Map(rows.map((r) => [r.document, r]))
}

export interface Decision { document: PolicyDocument, version: number, decision: 'accepted' | 'withdrawn', decidedAt: Date }

/** The user's current decision per document: the newest row of each. */
export async function currentDecisions (db: Kysely<DB>, userId: string): Promise<Map<PolicyDocument, Decision>> {
  const rows = await db.selectFrom('policy_decisions')
    .select(['document', 'version', 'decision', 'decided_at'])
    .distinctOn('document')
    .where('user_id', '=', userId)
    .orderBy('document').orderBy('decided_at', 'desc').orderBy('id', 'desc')
    .execute()
  return new Map(rows.map((r) => [r.document, { document: r.document, version: r.version, decision: r.decision, decidedAt: r.decided_at }]))
}

/** The user's newest decisions, at most `limit`. */
export async function decisionHistory (db: Kysely<DB>, userId: string, limit: number) {
  return await db.selectFrom('policy_decisions')
    .select(['id', 'document', 'version', 'decision', 'decided_at', 'ip'])
    .where('user_id', '=', userId)
    .orderBy('decided_at', 'desc').orderBy('id', 'desc')
    .limit(limit)
    .execute()
}
