// Main settings' section of the personal-data export (Feature.personalData).
import type { ExportSection } from '../../lib/personal-data.ts'

export const settingsExport: ExportSection[] = [{
  name: 'settings',
  query: (db, subject) => db.selectFrom('users')
    .select(['language', 'time_zone', 'rows_per_page', 'ip_access', 'ip_allow_list', 'bind_session_ip'])
    .where('id', '=', subject.id)
}]
