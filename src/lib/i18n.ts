import { en, type MessageKey } from '../locales/en.ts'
import { ru } from '../locales/ru.ts'

export type { MessageKey }
export const languages = ['en', 'ru'] as const
export type Language = typeof languages[number]
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

const catalogs: Record<Language, Partial<Record<MessageKey, string>>> = { en, ru }

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

function makeTranslator (lang: Language): Translate {
  const catalog = catalogs[lang]
  return (key, params) => {
    const text = catalog[key] ?? en[key]
    if (params === undefined) return text
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
  }
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
