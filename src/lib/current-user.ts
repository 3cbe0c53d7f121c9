import type { Language } from './i18n.ts'

/** The signed-in user, read from the database on every request with the session. */
export interface CurrentUser {
  id: string
  accountId: string
  email: string
  fullName: string
  isOwner: boolean
  fullAccess: boolean
  language: Language
  timeZone: string
  rowsPerPage: number
  lastLoginAt: Date | null
  phone: string | null
  phoneVerified: boolean
  twoFactor: boolean
  permissions: readonly string[]
}

/** The first user and Full access users hold every permission. */
export function can (user: CurrentUser | null, permission: string): boolean {
  if (user === null) return false
  return user.isOwner || user.fullAccess || user.permissions.includes(permission)
}
