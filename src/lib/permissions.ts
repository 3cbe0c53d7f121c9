// The permission catalog (SPEC §5): sections with actions, after
// BILLmanager's client area. A provider may replace it with PERMISSIONS_FILE:
//   { "sections": [ { "key": "users", "label": { "en": "Users", "ru": "Пользователи" },
//       "actions": [ { "key": "view", "label": { "en": "View", "ru": "Просмотр" } } ] } ] }
// Permission keys are "<section>.<action>". The module's own permissions must stay.
import { readFileSync } from 'node:fs'

export type Labels = Record<string, string> & { en: string }
export interface CatalogAction { key: string, label: Labels }
export interface CatalogSection { key: string, label: Labels, actions: CatalogAction[] }
export interface Catalog { sections: CatalogSection[], keys: ReadonlySet<string> }

/** What this module itself checks: a catalog without them is refused. */
export const REQUIRED_PERMISSIONS = ['users.view', 'users.manage', 'activity.view'] as const

const L = (en: string, ru: string): Labels => ({ en, ru })
const view = { key: 'view', label: L('View', 'Просмотр') }
const manage = { key: 'manage', label: L('Manage', 'Управление') }

export const defaultSections: CatalogSection[] = [
  { key: 'users', label: L('Users', 'Пользователи'), actions: [view, manage] },
  { key: 'activity', label: L('Account activity', 'Действия в учётной записи'), actions: [view] },
  { key: 'finance', label: L('Finance', 'Финансы'), actions: [view, { key: 'pay', label: L('Pay', 'Оплата') }] },
  { key: 'payers', label: L('Payers', 'Плательщики'), actions: [view, manage] },
  { key: 'services', label: L('Products/Services', 'Товары/услуги'), actions: [view, manage, { key: 'order', label: L('Order', 'Заказ') }] },
  { key: 'domains', label: L('Domains', 'Домены'), actions: [view, manage] },
  { key: 'support', label: L('Support', 'Техподдержка'), actions: [view, { key: 'create', label: L('Create and reply', 'Создание и ответы') }] },
  { key: 'documents', label: L('Documents', 'Документы'), actions: [view] },
  { key: 'affiliate', label: L('Affiliate program', 'Партнёрская программа'), actions: [view, manage] }
]

export function makeCatalog (sections: CatalogSection[]): Catalog {
  return { sections, keys: new Set(sections.flatMap((s) => s.actions.map((a) => `${s.key}.${a.key}`))) }
}

/** A key in a provider's catalog file (permissions, notification types). */
export const CATALOG_KEY = /^[a-z][a-z0-9_-]{0,39}$/


/** A label of a provider's catalog file: {"en": …, "ru": …}, "en" required; `example` shows the shape in the message. */
export function parseLabels (value: unknown, where: string, example = '{"en": "View"}'): Labels {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: "label" must be an object such as ${example}`)
  const out: Record<string, string> = {}
  for (const [lang, text] of Object.entries(value)) {
    if (typeof text !== 'string' || text.trim() === '' || text.length > 100) throw new Error(`${where}: label "${lang}" must be a non-empty string of up to 100 characters`)
    out[lang] = text
  }
  if (out.en === undefined) throw new Error(`${where}: the label needs at least "en"`)
  return out as Labels
}

/** A catalog file's JSON, or an error saying it is not JSON. */
export function parseCatalogJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`)
  }
}

/** Parses and checks a catalog file; throws with what is wrong and where. */
export function parseCatalog (text: string): Catalog {
  const raw = (parseCatalogJson(text) as { sections?: unknown } | null)?.sections
  if (!Array.isArray(raw) || raw.length === 0) throw new Error('it must be an object with a non-empty "sections" array')
  const sections: CatalogSection[] = []
  const seen = new Set<string>()
  raw.forEach((s: any, i: number) => {
    const where = `sections[${i}]`
    if (typeof s?.key !== 'string' || !CATALOG_KEY.test(s.key)) throw new Error(`${where}: "key" must be lower-case letters, digits, - or _`)
    if (seen.has(s.key)) throw new Error(`${where}: the section "${s.key}" is listed twice`)
    seen.add(s.key)
    if (!Array.isArray(s.actions) || s.actions.length === 0) throw new Error(`${where}: "actions" must be a non-empty array`)
    const actionKeys = new Set<string>()
    const actions = s.actions.map((a: any, j: number) => {
      const w = `${where}.actions[${j}]`
      if (typeof a?.key !== 'string' || !CATALOG_KEY.test(a.key)) throw new Error(`${w}: "key" must be lower-case letters, digits, - or _`)
      if (actionKeys.has(a.key)) throw new Error(`${w}: the action "${a.key}" is listed twice`)
      actionKeys.add(a.key)
      return { key: a.key, label: parseLabels(a.label, w) }
    })
    sections.push({ key: s.key, label: parseLabels(s.label, where), actions })
  })
  const catalog = makeCatalog(sections)
  const missing = REQUIRED_PERMISSIONS.filter((k) => !catalog.keys.has(k))
  if (missing.length > 0) throw new Error(`it must keep the permissions this module checks: ${missing.join(', ')}`)
  return catalog
}

export function loadCatalog (file: string | undefined): Catalog {
  return file === undefined ? makeCatalog(defaultSections) : parseCatalog(readFileSync(file, 'utf8'))
}

export function labelIn (labels: Labels, lang: string): string {
  return labels[lang] ?? labels.en
}
