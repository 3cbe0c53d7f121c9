// Form parsing shared by every feature. A form is a flat object of strings
// (@fastify/formbody); a field sent twice arrives as an array and is refused,
// unknown fields are ignored.
import type { MessageKey } from './i18n.ts'

export type FieldErrors = Record<string, MessageKey>
export type FormResult<T> = { ok: true, values: T } | { ok: false, values: Partial<Record<keyof T, string>>, errors: FieldErrors }

export type FormBody = Record<string, unknown>

export function asFormBody (body: unknown): FormBody {
  return body !== null && typeof body === 'object' ? body as FormBody : {}
}

/** The field's string, '' when absent, or null when it was sent more than once. */
export function field (body: FormBody, name: string): string | null {
  const v = body[name]
  if (v === undefined) return ''
  return typeof v === 'string' ? v : null
}

const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

/** Normalizes an email for storage and lookup (trimmed, lower case), or undefined if it is not one plain address. */
export function normalizeEmail (raw: string): string | undefined {
  const email = raw.trim().toLowerCase()
  if (email.length > 254 || !EMAIL_RE.test(email)) return undefined
  return email
}

/** A full name: one line, no control characters, 1–200 characters. */
export function normalizeName (raw: string): string | undefined {
  const name = raw.trim().replace(/\s+/g, ' ')
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.length > 200 || /[\u0000-\u001f\u007f<>]/.test(name)) return undefined
  return name
}
