// Identities at external authorization services bound to users
// (external_identities): unique by (issuer, subject) and by (user, issuer).
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { EraseStep, ExportSection } from '../../lib/personal-data.ts'

export interface BoundIdentity { service: string, issuer: string, display: string | null, boundAt: Date }

export async function listIdentities (db: Kysely<DB>, userId: string): Promise<BoundIdentity[]> {
  const rows = await db.selectFrom('external_identities').select(['service', 'issuer', 'display', 'bound_at'])
    .where('user_id', '=', userId).orderBy('bound_at').orderBy('id').execute()
  return rows.map((r) => ({ service: r.service, issuer: r.issuer, display: r.display, boundAt: new Date(r.bound_at) }))
}

/** The user an identity is bound to, with what a sign-in checks, and the name or email the service gave last. */
export function findIdentityHolder (db: Kysely<DB>, issuer: string, subject: string) {
  return db.selectFrom('external_identities as e').innerJoin('users as u', 'u.id', 'e.user_id')
    .select(['u.id', 'u.account_id', 'u.email', 'u.status', 'u.two_factor_enabled', 'u.restricted', 'e.display'])
    .where('e.issuer', '=', issuer).where('e.subject', '=', subject)
    .executeTakeFirst()
}

/** What the binding shows (Settings, the export): the name or email the service gives now. */
export async function updateIdentityDisplay (db: Kysely<DB>, issuer: string, subject: string, display: string): Promise<void> {
  await db.updateTable('external_identities').set({ display }).where('issuer', '=', issuer).where('subject', '=', subject).execute()
}

/** The user's identity at this service (by the service's id, or by its issuer when the id changed). */
export async function deleteIdentity (db: Kysely<DB>, userId: string, service: string, issuer: string | undefined): Promise<boolean> {
  const gone = await db.deleteFrom('external_identities').where('user_id', '=', userId)
    .where((eb) => issuer === undefined ? eb('service', '=', service) : eb.or([eb('service', '=', service), eb('issuer', '=', issuer)]))
    .returning('id').execute()
  return gone.length > 0
}

/** Export: each bound service, the user's own identifier there (issuer, subject), the name or email it gave, and when. */
export const externalAuthExport: ExportSection[] = [{
  name: 'linked_services',
  query: (db, subject) => db.selectFrom('external_identities')
    .select(['service', 'issuer', 'subject', 'display', 'bound_at'])
    .where('user_id', '=', subject.id).orderBy('bound_at').orderBy('id')
}]

/** A completed deletion removes the links (SPEC §4.3). */
export const eraseExternalIdentities: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('external_identities').where('user_id', '=', subject.id).execute()
}
