import { en, type MessageKey } from '../locales/en.ts'
import { ru } from '../locales/ru.ts'

export type { MessageKey }
export const languages = ['en', 'ru'] as const
export type Language = typeof languages[number]
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

const catalogs: Record<Language, Record<MessageKey, string>> = { en, ru }

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

function makeTranslator (lang: Language): Translate {
  const catalog = catalogs[lang]
  const fills = new Map<MessageKey, Fill>()
  return (key, params) => {
    const text = catalog[key]
    if (params === undefined) return text
    let fill = fills.get(key)
    if (fill === undefined) fills.set(key, fill = compileMessage(text))
    return fill(params)
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
