// The Main settings form (SPEC §4.1, §8): every field checked, the values
// kept for the page on error, messages that may name a value (the line at
// fault, the client's own IP). Only these fields are read: the form acts on
// the signed-in user and takes no user id.
import { asFormBody, field } from '../../lib/forms.ts'
import { isLanguage, type Language, type MessageKey } from '../../lib/i18n.ts'
import { ipInEntries, MAX_ENTRIES, parseIpList } from '../../lib/ip-access.ts'
import { isTimeZone } from '../../lib/time-zones.ts'

export const ROWS_PER_PAGE = [10, 25, 50, 100] as const

export interface MainSettings {
  language: Language
  timeZone: string
  rowsPerPage: number
  ipAccess: 'any' | 'list'
  /** Normalised, without blanks or duplicates. */
  ipAllowList: string[]
  bindSessionIp: boolean
}

/** The form as typed, for the page shown again. */
export interface TypedSettings {
  language: string
  time_zone: string
  rows_per_page: string
  ip_access: string
  ip_allow_list: string
  bind_session_ip: boolean
}

export interface FormError { key: MessageKey, params?: Record<string, string> }
export type SettingsErrors = Partial<Record<keyof TypedSettings, FormError>>

export type SettingsForm =
  | { ok: true, values: MainSettings, typed: TypedSettings }
  | { ok: false, typed: TypedSettings, errors: SettingsErrors }

const isIpAccess = (v: string): v is 'any' | 'list' => v === 'any' || v === 'list'

/**
 * Parses the posted form; `clientIp` is the request's (a list must include
 * it); `storedZone` is the user's zone now, accepted as it is even when the
 * runtime lists it under another name (Asia/Kolkata, Etc/GMT-3), so that
 * saving the form unchanged never changes it.
 */
export function parseSettingsForm (body: unknown, clientIp: string, storedZone: string): SettingsForm {
  const form = asFormBody(body)
  const errors: SettingsErrors = {}
  const text = (name: keyof TypedSettings): string => {
    const v = field(form, name)
    if (v === null) errors[name] = { key: 'error.repeated' }
    return v ?? ''
  }
  const typed: TypedSettings = {
    language: text('language'),
    time_zone: text('time_zone'),
    rows_per_page: text('rows_per_page'),
    ip_access: text('ip_access'),
    ip_allow_list: text('ip_allow_list'),
    bind_session_ip: text('bind_session_ip') !== ''
  }
  if (errors.language === undefined && !isLanguage(typed.language)) errors.language = { key: 'settings.error.language' }
  if (errors.time_zone === undefined && !isTimeZone(typed.time_zone) && typed.time_zone !== storedZone) errors.time_zone = { key: 'settings.error.timeZone' }
  // Exactly as offered: "1e2" or " 50" is no choice of the select.
  const rows = ROWS_PER_PAGE.find((n) => String(n) === typed.rows_per_page)
  if (errors.rows_per_page === undefined && rows === undefined) errors.rows_per_page = { key: 'settings.error.rowsPerPage' }
  if (errors.ip_access === undefined && !isIpAccess(typed.ip_access)) errors.ip_access = { key: 'settings.error.ipAccess' }
  let entries: string[] = []
  if (errors.ip_allow_list === undefined) {
    const list = parseIpList(typed.ip_allow_list)
    if (!list.ok && list.reason === 'invalid') errors.ip_allow_list = { key: 'settings.error.ipEntry', params: { line: String(list.line), entry: list.entry } }
    else if (!list.ok) errors.ip_allow_list = { key: 'settings.error.ipTooMany', params: { max: String(MAX_ENTRIES), count: String(list.count) } }
    else entries = list.entries
  }
  if (errors.ip_allow_list === undefined && typed.ip_access === 'list') {
    // Nobody locks themselves out: the list must hold the address this request comes from.
    if (entries.length === 0) errors.ip_allow_list = { key: 'settings.error.ipListEmpty' }
    else if (!ipInEntries(entries, clientIp)) errors.ip_allow_list = { key: 'settings.error.ipExcludesYou', params: { ip: clientIp } }
  }
  if (Object.keys(errors).length > 0 || !isLanguage(typed.language) || !isIpAccess(typed.ip_access) || rows === undefined) return { ok: false, typed, errors }
  return {
    ok: true,
    typed,
    values: { language: typed.language, timeZone: typed.time_zone, rowsPerPage: rows, ipAccess: typed.ip_access, ipAllowList: entries, bindSessionIp: typed.bind_session_ip }
  }
}
