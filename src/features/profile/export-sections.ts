// The profile's sections of the personal-data export (Feature.personalData):
// the user's row as the Profile page shows it. Never the password hash, the
// TOTP secret or the recovery codes: secrets, not data about the person.
import type { ExportSection } from '../../lib/personal-data.ts'

export const profileExport: ExportSection[] = [{
  name: 'profile',
  query: (db, subject) => db.selectFrom('users')
    .select(['email', 'full_name', 'phone', 'phone_verified', 'created_at', 'last_login_at', 'two_factor_enabled as two_factor'])
    .where('id', '=', subject.id)
}]
