// The notification type catalog (SPEC §4.8): what a user may get and choose
// per channel on /client/settings/notifications, after BILLmanager's list.
// A provider may replace it with NOTIFICATIONS_FILE:
//   {"types": [{"key": "vps-reboot", "label": {"en": "…", "ru": "…"}, "security": false, "marketing": false}]}
// Guarantees: keys are unique and safe in a form value, a URL and a token;
// a `security` type stays (the product's own security notices are of it);
// a security type is never marketing.
import { readFileSync } from 'node:fs'
import { CATALOG_KEY, type Labels, parseCatalogJson, parseLabels } from './permissions.ts'

export interface NotificationTypeDef {
  key: string
  label: Labels
  /** Cannot be switched off: always mailed, no unsubscribe. */
  security: boolean
  /** Follows the marketing consents; off by default. */
  marketing: boolean
  /** The heading it stands under on the page. */
  group: 'account' | 'billing' | 'services' | 'other'
}

export interface NotificationCatalog {
  types: readonly NotificationTypeDef[]
  byKey: ReadonlyMap<string, NotificationTypeDef>
}

/** The type the product's own security notices (password changed, 2FA, …) are of. */
export const SECURITY_TYPE = 'security'

const L = (en: string, ru: string): Labels => ({ en, ru })

export const defaultNotificationTypes: NotificationTypeDef[] = [
  { key: 'security', label: L('Account and security', 'Учётная запись и безопасность'), security: true, marketing: false, group: 'account' },
  { key: 'billing', label: L('Invoices and payments', 'Счета и платежи'), security: false, marketing: false, group: 'billing' },
  { key: 'low-balance', label: L('Low balance', 'Низкий баланс'), security: false, marketing: false, group: 'billing' },
  { key: 'service-expiry', label: L('Service expiry', 'Окончание срока действия услуг'), security: false, marketing: false, group: 'services' },
  { key: 'maintenance', label: L('Maintenance', 'Технические работы'), security: false, marketing: false, group: 'services' },
  { key: 'support', label: L('Support replies', 'Ответы техподдержки'), security: false, marketing: false, group: 'other' },
  { key: 'news', label: L('News and offers', 'Новости и предложения'), security: false, marketing: true, group: 'other' }
]

export function makeNotificationCatalog (types: NotificationTypeDef[]): NotificationCatalog {
  return { types, byKey: new Map(types.map((t) => [t.key, t])) }
}

function flag (value: unknown, name: string, where: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new Error(`${where}: "${name}" must be true or false`)
  return value
}

/** Parses and checks a catalog file; throws with what is wrong and where. */
export function parseNotificationCatalog (text: string): NotificationCatalog {
  const raw = (parseCatalogJson(text) as { types?: unknown } | null)?.types
  if (!Array.isArray(raw) || raw.length === 0) throw new Error('it must be an object with a non-empty "types" array')
  if (raw.length > 100) throw new Error('it lists more than 100 types')
  const seen = new Set<string>()
  const types = raw.map((item: unknown, i: number): NotificationTypeDef => {
    const where = `types[${i}]`
    const t = (item !== null && typeof item === 'object' ? item : {}) as { key?: unknown, label?: unknown, security?: unknown, marketing?: unknown }
    if (typeof t.key !== 'string' || !CATALOG_KEY.test(t.key)) throw new Error(`${where}: "key" must be lower-case letters, digits, - or _ (up to 40)`)
    if (seen.has(t.key)) throw new Error(`${where}: the type "${t.key}" is listed twice`)
    seen.add(t.key)
    const security = flag(t.security, 'security', where)
    const marketing = flag(t.marketing, 'marketing', where)
    if (security && marketing) throw new Error(`${where}: a type cannot be both security and marketing`)
    return { key: t.key, label: parseLabels(t.label, where, '{"en": "Maintenance", "ru": "Технические работы"}'), security, marketing, group: security ? 'account' : 'other' }
  })
  const security = types.find((t) => t.key === SECURITY_TYPE)
  if (security === undefined || !security.security) throw new Error(`it must keep the type "${SECURITY_TYPE}" with "security": true (the product's own security notices are of it)`)
  return makeNotificationCatalog(types)
}

export function loadNotificationCatalog (file: string | undefined): NotificationCatalog {
  return file === undefined ? makeNotificationCatalog(defaultNotificationTypes) : parseNotificationCatalog(readFileSync(file, 'utf8'))
}
