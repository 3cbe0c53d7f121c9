// The sessions' sections of the personal-data export (Feature.personalData):
// the user's sign-in history and sessions as the Sessions page shows them.
// Never a session's id (its hash) or its data.
import type { ExportSection } from '../../lib/personal-data.ts'

export const sessionsExport: ExportSection[] = [{
  name: 'sign_ins',
  query: (db, subject) => db.selectFrom('login_attempts')
    .select(['created_at', 'success', 'throttled', 'method', 'service', 'ip', 'user_agent'])
    .where('user_id', '=', subject.id).orderBy('created_at').orderBy('id')
}, {
  name: 'sessions',
  query: (db, subject) => db.selectFrom('sessions')
    .select(['created_at', 'last_seen_at', 'ip', 'user_agent'])
    .where('user_id', '=', subject.id).orderBy('created_at').orderBy('public_id')
}]
