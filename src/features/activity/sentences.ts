// The sentence of one activity row in the viewer's language: the event
// type's catalog sentence with who did it, to whom and the facts that matter
// put into words (a reason, a method, permission labels, a phone number),
// never raw codes. Pure: the page, the CSV and the tests call it alike.
import type { MessageKey, Translate } from '../../lib/i18n.ts'
import { type Catalog, labelIn } from '../../lib/permissions.ts'

/** A user as the row names them: as they are now, or as recorded when they were deleted. */
export interface Person { id: string | null, email: string | null, name: string | null, gone: boolean }

export interface SentenceRow {
  action: string
  details: Record<string, unknown>
  actor: Person
  target: Person
}

export interface SentenceContext {
  t: Translate
  /** Event type → its sentence key (app.eventSentences). */
  sentences: Readonly<Record<string, MessageKey>>
  /** Re-confirmed operation → its label key (app.operations). */
  operations: Readonly<Record<string, MessageKey>>
  /** A permission key ("finance.pay") → "Finance: Pay" in the viewer's language. */
  permissionLabel: (key: string) => string
  /** An external authorization service's id as recorded → its name as configured now (serviceNameOf). */
  serviceName: (id: string) => string
}

type Params = Record<string, string>
type Word = (value: unknown) => MessageKey

// Codes recorded in details → their words; anything else → the kind's "other".
function words<const T extends string> (prefix: string, known: readonly T[], other: MessageKey): Word {
  return (value) => (typeof value === 'string' && (known as readonly string[]).includes(value) ? `${prefix}${value}` : other) as MessageKey
}
const method = words('activity.word.method.', ['password', 'totp', 'recovery', 'sso', 'sso_totp', 'sso_recovery'], 'activity.word.method.other')
const ssoRefusal = words('activity.word.sso.', ['used', 'expired', 'return_to'], 'activity.word.sso.other')
const loginReason = words('activity.word.login.', ['password', 'disabled', 'throttled'], 'activity.word.login.other')
const purpose = words('activity.word.purpose.', ['phone_verify', 'phone_change'], 'activity.word.purpose.other')
const codeReason = words('activity.word.code.', ['format', 'no_code', 'expired', 'burned', 'wrong'], 'activity.word.code.other')
const otpReason = words('activity.word.otp.', ['format', 'wrong', 'replay', 'locked', 'not_enabled'], 'activity.word.otp.other')
const refusedKind = words('activity.word.refused.', ['add', 'change'], 'activity.word.refused.other')
const policyDocument = words('activity.word.document.', ['privacy-policy', 'user-agreement', 'sms-news', 'email-news'], 'activity.word.document.other')
const setting = words('activity.word.setting.', ['language', 'time_zone', 'rows_per_page', 'ip_access', 'ip_allow_list', 'bind_session_ip'], 'activity.word.setting.other')
const requestKind = words('activity.word.request.', ['deletion', 'restriction'], 'activity.word.request.other')
const requestStatus = words('activity.word.requestStatus.', ['received', 'in_progress', 'completed', 'rejected', 'lifted'], 'activity.word.requestStatus.other')

const channelWord = words('activity.word.channel.', ['mail', 'sms', 'telegram'], 'activity.word.channel.other')

// "billing:sms:on" → "billing by SMS: on" (the type's key as recorded: the catalog is the provider's, its labels may change).
function notificationChange (t: Translate, change: string): string {
  const [type = '?', channel, state] = change.split(':')
  return t(state === 'on' ? 'activity.word.notificationOn' : 'activity.word.notificationOff', { type, channel: t(channelWord(channel)) })
}

/** "Full Name (email)", "email", or "a deleted user"; "(deleted)" after one since deleted. */
export function personText (t: Translate, p: Person): string {
  const who = p.email === null ? null : p.name === null || p.name === '' ? p.email : `${p.name} (${p.email})`
  if (who === null) return p.id === null ? t('activity.person.provider') : t('activity.person.unknown')
  return p.gone ? t('activity.person.deleted', { who }) : who
}

// The personal values a row recorded (an address, a phone): gone once scrubbed.
function recorded (t: Translate, value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : t('activity.word.erased')
}

function permissionList (ctx: SentenceContext, details: Record<string, unknown>): string {
  const items: string[] = []
  for (const [key, state] of [['enabled', 'activity.word.enabled'], ['disabled', 'activity.word.disabled']] as const) {
    const value = details[key]
    if (typeof value !== 'string' || value === '') continue
    for (const p of value.split(' ')) items.push(ctx.t(state, { permission: ctx.permissionLabel(p) }))
  }
  return items.length === 0 ? ctx.t('activity.word.nothing') : items.join(', ')
}

function access (ctx: SentenceContext, d: Record<string, unknown>): string {
  if (d.fullAccess === true) return ctx.t('activity.word.fullAccess')
  const list = typeof d.permissions === 'string' && d.permissions !== '' ? d.permissions.split(' ') : []
  return list.length === 0 ? ctx.t('activity.word.noPermissions') : list.map(ctx.permissionLabel).join(', ')
}

function changes (t: Translate, d: Record<string, unknown>): string {
  const parts: string[] = []
  if (d.nameChanged === true) parts.push(t('activity.word.name'))
  if (d.phoneChanged === true) parts.push(t('activity.word.phone'))
  return parts.length === 0 ? t('activity.word.nothing') : parts.join(', ')
}

function operation (ctx: SentenceContext, op: unknown): string {
  const label = typeof op === 'string' ? ctx.operations[op] : undefined
  // Labels name their target ("disable the user {target}"): the row's own target says whom.
  return label === undefined ? ctx.t('activity.word.operation') : ctx.t(label, { target: '' }).replace(/\s+/g, ' ').trim()
}

// Events whose {actor} may be the provider (deleteUserRow without a user).
const PROVIDER_ACTS = new Set(['user.deleted'])

/** The facts of a row as the words its sentence takes. */
function paramsOf (ctx: SentenceContext, row: SentenceRow): Params {
  const { t } = ctx
  const d = row.details
  // No actor: the provider where it may act in a user's place; elsewhere a
  // user deleted before the log kept their id (activity-target migration).
  const actor = row.actor.id === null && row.actor.email === null && !PROVIDER_ACTS.has(row.action) ? t('activity.person.unknown') : personText(t, row.actor)
  const p: Params = { actor, target: personText(t, row.target) }
  switch (row.action) {
    case 'login.success':
      // A first factor at an external service (recorded by its id), then the second step if any.
      p.method = typeof d.service === 'string'
        ? t(d.method === 'totp' ? 'activity.word.method.externalTotp' : d.method === 'recovery' ? 'activity.word.method.externalRecovery' : 'activity.word.method.external', { service: ctx.serviceName(d.service) })
        : t(method(d.method))
      break
    case 'external_auth.bound': p.service = typeof d.service === 'string' ? ctx.serviceName(d.service) : '?'; p.identity = typeof d.identity === 'string' ? d.identity : ''; break
    case 'external_auth.bind_refused': case 'external_auth.unbound': p.service = typeof d.service === 'string' ? ctx.serviceName(d.service) : '?'; break
    case 'login.failed': p.reason = t(loginReason(d.reason)); break
    case 'phone.set': case 'phone.verified': case 'phone.cleared': p.phone = recorded(t, d.phone); break
    case 'phone.code_sent': p.phone = recorded(t, d.phone); p.purpose = t(purpose(d.purpose)); break
    case 'phone.code_failed': p.purpose = t(purpose(d.purpose)); p.reason = t(codeReason(d.reason)); break
    case 'session.ended_others': p.count = String(typeof d.count === 'number' ? d.count : 0); break
    case 'confirm.ok': case 'confirm.failed': p.op = operation(ctx, d.op); break
    case 'totp.failed': p.reason = t(otpReason(d.reason)); break
    case 'totp.locked': p.minutes = String(typeof d.minutes === 'number' ? d.minutes : '?'); break
    case 'user.created':
      p.access = access(ctx, d)
      p.invite = d.invited === true ? t('activity.word.invited') : ''
      if (row.target.email === null) p.target = personText(t, { ...row.target, email: recorded(t, d.email), gone: row.target.id !== null })
      break
    case 'user.updated': p.changes = changes(t, d); break
    case 'user.email_change_requested': case 'user.email_changed': p.from = recorded(t, d.from); p.to = recorded(t, d.to); break
    case 'user.address_use_refused': p.kind = t(refusedKind(d.kind)); break
    case 'user.disabled': case 'user.enabled':
      if (row.target.email === null && typeof d.email === 'string') p.target = personText(t, { ...row.target, email: d.email, gone: true })
      break
    case 'user.deleted':
      // The row is the record of who it was: its personal values, while they last.
      p.target = typeof d.email === 'string' ? personText(t, { id: null, email: d.email, name: typeof d.name === 'string' ? d.name : null, gone: false }) : t('activity.person.unknown')
      break
    case 'permissions.changed': p.changes = permissionList(ctx, d); break
    case 'permissions.full_access': p.change = t(d.fullAccess === true ? 'activity.word.fullAccessOn' : 'activity.word.fullAccessOff'); break
    case 'settings.saved': p.changes = typeof d.changed === 'string' && d.changed !== '' ? d.changed.split(' ').map((name) => t(setting(name))).join(', ') : t('activity.word.nothing'); break
    case 'session.ended_by_binding': p.sessionIp = recorded(t, d.sessionIp); break
    case 'policy.accepted': case 'policy.withdrawn': case 'policy.published': p.document = t(policyDocument(d.document)); p.version = String(typeof d.version === 'number' ? d.version : '?'); break
    // The kind and the status only: a request's content (the provider's reason) is not the account's to read.
    case 'notifications.changed': p.changes = typeof d.changes === 'string' && d.changes !== '' ? d.changes.split(' ').map((c) => notificationChange(t, c)).join(', ') : t('activity.word.nothing'); break
    case 'notifications.unsubscribed': p.type = typeof d.type === 'string' ? d.type : '?'; p.channel = t(channelWord(d.channel)); break
    case 'notification.sent': p.type = typeof d.type === 'string' ? d.type : '?'; p.channels = typeof d.channels === 'string' && d.channels !== '' ? d.channels.split(' ').map((c) => t(channelWord(c))).join(', ') : t('activity.word.nothing'); break
    case 'privacy_request.created': case 'privacy_request.updated': p.request = t(requestKind(d.kind)); p.status = t(requestStatus(d.status)); break
    case 'sso.link_refused': p.reason = t(ssoRefusal(d.reason)); break
  }
  return p
}

// Events a user or the provider may cause: the provider's own sentence.
const BY_PROVIDER: Partial<Record<string, MessageKey>> = {
  'user.updated': 'event.user.updated.provider',
  'user.email_changed': 'event.user.email_changed.provider',
  'user.disabled': 'event.user.disabled.provider',
  'user.enabled': 'event.user.enabled.provider',
  'external_auth.unbound': 'event.external_auth.unbound.provider'
}

/**
 * The row's sentence: its type's catalog sentence, or the provider's variant
 * (BY_PROVIDER) when the provider did it; a type no feature
 * declares gets a neutral sentence, never its code.
 */
export function eventSentence (row: SentenceRow, ctx: SentenceContext): string {
  const key = ctx.sentences[row.action]
  if (key === undefined) return ctx.t('activity.unknownEvent', { actor: personText(ctx.t, row.actor) })
  const variant = row.details.by === 'provider' ? BY_PROVIDER[row.action] : undefined
  const text = ctx.t(variant ?? key, paramsOf(ctx, row))
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** "finance.pay" → "Finance: Pay" in the language (labelIn); a key the catalog no longer has stays as it is. */
export function permissionLabeler (catalog: Catalog, lang: string): (key: string) => string {
  const labels = new Map<string, string>()
  for (const s of catalog.sections) {
    for (const a of s.actions) labels.set(`${s.key}.${a.key}`, `${labelIn(s.label, lang)}: ${labelIn(a.label, lang)}`)
  }
  return (key) => labels.get(key) ?? key
}
