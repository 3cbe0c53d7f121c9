// The activity section of the personal-data export (Feature.personalData):
// every event of the user's account where they are the actor or the target.
// Other people in those events are not named (`actor`/`target`: self,
// another user, or empty for the provider or the system), and the personal
// values recorded about someone else (audit_log.personal_keys of another
// personal_of: the address of a user they invited) are left out of the
// details: the export holds the user's data, not their colleagues'.
import { sql } from 'kysely'
import type { ExportSection } from '../../lib/personal-data.ts'

export const activityExport: ExportSection[] = [{
  name: 'activity',
  query: (db, subject) => {
    const party = (column: 'actor_user_id' | 'target_user_id') =>
      sql<string>`case when ${sql.ref(column)} is null then '' when ${sql.ref(column)} = ${subject.id} then 'self' else 'another user' end`
    return db.selectFrom('audit_log')
      .select([
        'created_at',
        'action',
        party('actor_user_id').as('actor'),
        party('target_user_id').as('target'),
        'ip',
        sql<Record<string, unknown>>`case when personal_of is null or personal_of = ${subject.id} then details else details - personal_keys end`.as('details')
      ])
      // account_id first: the actor and target indexes (scale-indexes, activity-target) lead with it.
      .where('account_id', '=', subject.accountId)
      .where((eb) => eb.or([eb('actor_user_id', '=', subject.id), eb('target_user_id', '=', subject.id)]))
      .orderBy('created_at').orderBy('id')
  }
}]
