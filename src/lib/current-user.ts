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
  /** Main settings: 'list' lets the panel be used only from the addresses and ranges in ipAllowList. */
  ipAccess: 'any' | 'list'
  /** The normalised entries, one a line ('' when none): as stored, the key the guards cache its parsing by. */
  ipAllowList: string
  /** Main settings: a session works only from the IP it was started from (sessionIp). */
  bindSessionIp: boolean
  /** The IP of the request that started this session (its row's ip): read with the user, kept across a new session id. */
  sessionIp: string | null
  /** A completed restriction of personal data not lifted (SPEC §4.3): the profile is read-only, no marketing. */
  restricted: boolean
  /** The newest effective version of a required policy document is not accepted: the panel waits for it (privacy feature's guard). */
  policyPending: boolean
  /** A new version of a consent the user decided on before (SMS news, Email news) is in effect, not decided yet: every page says so until they do. */
  policyUpdated: boolean
  /** A Telegram chat is linked to the user (telegram feature): the Settings block's state, the notification channel. */
  telegramLinked: boolean
  /** The avatar's file name under /avatars/, or null for the default (the initials). */
  avatar: string | null
}

/** The first user and Full access users hold every permission. */
export function can (user: CurrentUser | null, permission: string): boolean {
  if (user === null) return false
  return user.isOwner || user.fullAccess || user.permissions.includes(permission)
}
