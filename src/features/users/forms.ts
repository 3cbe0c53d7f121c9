// The Users forms. Each takes only its own fields; the fields that decide
// who a user is or what they may do (account_id, is_owner, permissions, ...)
// are refused on a form that does not own them.
import { type FieldErrors, type FormBody, field, normalizeEmail, normalizeName } from '../../lib/forms.ts'
import { checkNewPassword } from '../../lib/passwords.ts'
import { normalizePhone } from '../../lib/phone.ts'
import type { NewUser, UserEdit } from './service.ts'

const PRIVILEGED = ['account_id', 'is_owner', 'owner', 'full_access', 'permissions', 'permission', 'status', 'verified', 'phone_verified', 'password_hash', 'id', 'user_id']

export type Parsed<T> = { ok: true, values: T } | { ok: false, errors: FieldErrors, values: Record<string, string> }

/** Privileged fields the form does not own: their presence refuses the whole form. */
function foreignFields (body: FormBody, own: string[]): string[] {
  return PRIVILEGED.filter((name) => !own.includes(name) && body[name] !== undefined)
}

function text (body: FormBody, name: string, errors: FieldErrors, values: Record<string, string>): string {
  const v = field(body, name)
  if (v === null) {
    errors[name] = 'error.repeated'
    return ''
  }
  values[name] = v
  return v
}

function common (body: FormBody, region: string | undefined, errors: FieldErrors, values: Record<string, string>) {
  const rawEmail = text(body, 'email', errors, values)
  const email = normalizeEmail(rawEmail)
  if (email === undefined && errors.email === undefined) errors.email = rawEmail.trim() === '' ? 'error.required' : 'error.email'
  const rawName = text(body, 'full_name', errors, values)
  const fullName = normalizeName(rawName)
  if (fullName === undefined && errors.full_name === undefined) errors.full_name = rawName.trim() === '' ? 'error.required' : 'error.name'
  const rawPhone = text(body, 'phone', errors, values)
  let phone: string | null = null
  if (rawPhone.trim() !== '') {
    phone = normalizePhone(rawPhone, region) ?? null
    if (phone === null && errors.phone === undefined) errors.phone = 'error.phone'
  }
  return { email: email ?? '', fullName: fullName ?? '', phone }
}

export function parseNewUser (body: FormBody, region: string | undefined): Parsed<NewUser> {
  const errors: FieldErrors = {}
  const values: Record<string, string> = {}
  const foreign = foreignFields(body, ['permission'])
  if (foreign.length > 0) errors.form = 'error.foreignField'
  const { email, fullName, phone } = common(body, region, errors, values)
  const password = text(body, 'password', errors, values)
  delete values.password
  if (password !== '' && errors.password === undefined) {
    const rule = checkNewPassword(password, email)
    if (rule !== undefined) errors.password = rule
  }
  const access = text(body, 'access', errors, values)
  if (access !== 'full' && access !== 'chosen' && errors.access === undefined) errors.access = 'error.required'
  const raw = body.permission
  const permissions = raw === undefined ? [] : Array.isArray(raw) ? raw.filter((p): p is string => typeof p === 'string') : typeof raw === 'string' ? [raw] : []
  values.permission = permissions.join(' ')
  if (Object.keys(errors).length > 0) return { ok: false, errors, values }
  return { ok: true, values: { email, fullName, phone, password: password === '' ? null : password, fullAccess: access === 'full', permissions: access === 'full' ? [] : [...new Set(permissions)] } }
}

export function parseUserEdit (body: FormBody, region: string | undefined): Parsed<UserEdit> {
  const errors: FieldErrors = {}
  const values: Record<string, string> = {}
  if (foreignFields(body, []).length > 0) errors.form = 'error.foreignField'
  const { email, fullName, phone } = common(body, region, errors, values)
  if (Object.keys(errors).length > 0) return { ok: false, errors, values }
  return { ok: true, values: { email, fullName, phone } }
}

/** Full access on ('1') or off ('0'), from its confirmation page. */
export function parseFullAccessChoice (body: FormBody): { ok: true, on: boolean } | { ok: false, error: 'error.choosePermission' } {
  const on = body.on
  return on === '1' || on === '0' ? { ok: true, on: on === '1' } : { ok: false, error: 'error.choosePermission' }
}

/** The permissions chosen on the Permissions page: one or more catalog keys. */
export function parsePermissionChoice (body: FormBody, catalog: ReadonlySet<string>): { ok: true, permissions: string[], enable: boolean } | { ok: false, error: 'error.choosePermission' | 'error.unknownPermission' | 'error.repeated' } {
  const action = field(body, 'action')
  if (action === null) return { ok: false, error: 'error.repeated' }
  const raw = body.permission
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  const permissions = [...new Set(list.filter((p): p is string => typeof p === 'string'))]
  if (permissions.length === 0 || (action !== 'enable' && action !== 'disable')) return { ok: false, error: 'error.choosePermission' }
  if (permissions.some((p) => !catalog.has(p))) return { ok: false, error: 'error.unknownPermission' }
  return { ok: true, permissions, enable: action === 'enable' }
}
