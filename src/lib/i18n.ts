import { en, type MessageKey } from '../locales/en.ts'
import { ru } from '../locales/ru.ts'

export type { MessageKey }
export const languages = ['en', 'ru'] as const
export type Language = typeof languages[number]
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

/** A catalog entry: a text, or a plural message (one text per plural category, chosen by {count}). */
type Entry = string | Readonly<Record<string, string>>
const catalogs: Record<Language, Readonly<Record<MessageKey, Entry>>> = { en, ru }

/** The cookie that keeps the language chosen before sign-in (features/language). */
export const LANGUAGE_COOKIE = 'lang'

/** Each language named in itself, for the switch: made once. */
export const languageChoices: ReadonlyArray<{ code: Language, name: string }> = languages.map((code) => ({ code, name: catalogs[code]['lang.name'] as string }))

export function isLanguage (value: unknown): value is Language {
  return typeof value === 'string' && (languages as readonly string[]).includes(value)
}

const translators = new Map<Language, Translate>()

/** The translation function for a language (made once per language). */
export function translator (lang: Language): Translate {
  let t = translators.get(lang)
  if (t === undefined) {
    t = makeTranslator(lang)
    translators.set(lang, t)
  }
  return t
}

type Fill = (params: Record<string, string | number>) => string

/** A message with {placeholders} split once into its parts: filled by joining, no RegExp per call. */
function compileMessage (text: string): Fill {
  const parts = text.split(/\{(\w+)\}/) // even: text, odd: a name
  if (parts.length === 1) return () => text
  return (params) => {
    let out = parts[0]!
    for (let i = 1; i < parts.length; i += 2) {
      const name = parts[i]!
      out += (Object.hasOwn(params, name) ? String(params[name]) : `{${name}}`) + parts[i + 1]!
    }
    return out
  }
}

const pluralRules = new Map<Language, Intl.PluralRules>()
function pluralRulesOf (lang: Language): Intl.PluralRules {
  let rules = pluralRules.get(lang)
  if (rules === undefined) pluralRules.set(lang, rules = new Intl.PluralRules(lang))
  return rules
}

/** The form of a plural message for this count (Intl.PluralRules), `other` when the count is missing. */
function formFor (lang: Language, forms: Readonly<Record<string, string>>, count: unknown): string {
  const category = pluralRulesOf(lang).select(Number(count))
  return forms[category] ?? forms.other!
}

/** A plural message compiled once: each form split once, the form picked by {count}. */
function compileEntry (lang: Language, entry: Entry): Fill {
  if (typeof entry === 'string') return compileMessage(entry)
  const rules = pluralRulesOf(lang)
  const fills: Record<string, Fill> = {}
  for (const [category, text] of Object.entries(entry)) fills[category] = compileMessage(text)
  return (params) => (fills[rules.select(Number(params.count))] ?? fills.other!)(params)
}

function makeTranslator (lang: Language): Translate {
  const catalog = catalogs[lang]
  const fills = new Map<MessageKey, Fill>()
  return (key, params) => {
    const entry = catalog[key]
    if (params === undefined && typeof entry === 'string') return entry
    let fill = fills.get(key)
    if (fill === undefined) fills.set(key, fill = compileEntry(lang, entry))
    return fill(params ?? {})
  }
}

/**
 * The text of a message before its {placeholders} are filled: for a plural
 * message, the form for params.count. For callers that fill it themselves
 * (the HTML part of a mail escapes the text and each value apart).
 */
export function messageTemplate (lang: Language, key: MessageKey, params: Record<string, unknown> = {}): string {
  const entry = catalogs[lang][key]
  return typeof entry === 'string' ? entry : formFor(lang, entry, params.count)
}

/** A message's text when it is a plain text (no plural forms), as t(key) with no parameters gives it; undefined for other keys. */
export function fixedText (lang: Language, key: string): string | undefined {
  const entry = (catalogs[lang] as Readonly<Record<string, Entry | undefined>>)[key]
  return typeof entry === 'string' ? entry : undefined
}

/** The app's name in a language: the provider's APP_NAME as it is, else the default name in that language. */
export function appNameIn (config: { appName: string, appNameSet?: boolean }, lang: Language): string {
  return config.appNameSet === false ? catalogs[lang]['app.name'] as string : config.appName
}

/** The best of our languages for an Accept-Language header; English otherwise. */
export function negotiateLanguage (header: string | undefined): Language {
  if (header === undefined) return 'en'
  const ranked = header.split(',').map((part) => {
    const [tag = '', ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return { lang: tag.toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q.slice(2)) || 0 }
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q)
  return ranked.map((r) => r.lang).find(isLanguage) ?? 'en'
}
