// Notification types and how each is written, in the recipient's language,
// from the catalogs (src/locales): a mail as `<key>.subject` + `<key>.body`
// (sent as text and as a plain HTML part), a short text (SMS, later
// Telegram) as one key. Guarantees:
// - every value that is not one of ours (TRUSTED below: links we built,
//   addresses, numbers, times) is treated as text a user typed and passes
//   through neutraliseUserText, in the subject, the text and the HTML;
// - in the HTML part every value is escaped and only the `link` value
//   becomes an anchor, and only when it starts with PUBLIC_URL's root;
// - every time is written by Intl in the recipient's language and time zone
//   (UTC for an address with no user), with its offset at that instant and
//   the zone named (`{time} ({zone})`), as on the pages (src/lib/format.ts).
import type { Config } from '../../config.ts'
import { formatDateTime } from '../format.ts'
import { appNameIn, type Language, type MessageKey, messageTemplate, translator } from '../i18n.ts'
import type { MailMessage } from '../mail.ts'
import { SECURITY_TYPE } from '../notification-types.ts'
import { neutraliseUserText } from './user-text.ts'

/** Notification type → what its caller passes. */
export interface NotificationParams {
  password_reset: { link: string }
  password_changed: { at: Date, ip: string }
  invite: { inviter: string, link: string }
  welcome: { inviter: string }
  email_change_confirm: { old: string, new: string, actor: string, link: string }
  email_change_notice: { old: string, new: string, actor: string }
  address_in_use_add: Record<string, never>
  address_in_use_change: Record<string, never>
  otp_locked: { minutes: number }
  otp_replay: Record<string, never>
  /** Two-factor changes (SPEC §4.5): by the user (with the IP they acted from) or by the provider (no IP: not the user's act). */
  totp_enabled: { at: Date, ip: string }
  totp_disabled: { at: Date, ip: string }
  totp_codes_regenerated: { at: Date, ip: string }
  totp_reset: { at: Date }
  /** A completed sign-in from an IP address the user's sign-in history does not hold (auth/sign-in.ts); the browser as the sessions page names it, null when unknown. */
  new_sign_in: { at: Date, ip: string, browser: string | null }
  phone_code: { code: string, minutes: number }
  /** A personal-data request made or moved on (privacy feature): the reason only with a rejection. */
  /** Telegram (the bot's answers in the chat): linked to the user, a code that is no good, a chat linked to someone else, unlinked. */
  telegram_linked: Record<string, never>
  telegram_code_invalid: Record<string, never>
  telegram_chat_taken: Record<string, never>
  telegram_unlinked: Record<string, never>
  privacy_request: { kind: 'deletion' | 'restriction', status: 'received' | 'in_progress' | 'completed' | 'rejected' | 'lifted', reason: string | null, at: Date }
  /** A notification the provider writes (CLI notify, the provider API), of a catalog type: its subject and text are the provider's, neutralised as typed text. */
  notice: { type: string, subject: string, text: string }
}
export type NotificationType = keyof NotificationParams

/** Catalog prefixes that have both a subject and a body. */
type MailKey = { [K in MessageKey]: K extends `${infer P}.subject` ? (`${P}.body` extends MessageKey ? P : never) : never }[MessageKey]
type Vars = Record<string, string | number>
type LinkConfig = Pick<Config, 'linkBase'>

interface Template<P> {
  /** Written as a mail. */
  mail?: MailKey
  /** Written as a short text. */
  text?: MessageKey
  vars: (params: P, config: LinkConfig, to: Reader) => Vars
  /**
   * The catalog type (lib/notification-types.ts) it is of: it then goes out
   * on the channels the user chose for that type (notify). None: a direct
   * message (a link or code for one address) that the user's choices do not
   * touch: mailed as it is.
   */
  of?: (params: P) => string
}

/** What a template needs to know of its reader to write a time. */
interface Reader { lang: Language, timeZone: string }

const forgotLink = (c: LinkConfig): string => `${c.linkBase}password/forgot`
/** A time as the reader reads it, and the zone it is in: for `{time} ({zone})`. */
const security = (): string => SECURITY_TYPE
const when = (at: Date, r: Reader): Vars => ({ time: formatDateTime(at, r.lang, r.timeZone), zone: r.timeZone })

export const templates: { readonly [T in NotificationType]: Template<NotificationParams[T]> } = {
  password_reset: { mail: 'mail.reset', vars: (p) => p },
  password_changed: { of: security, mail: 'mail.passwordChanged', vars: (p, c, r) => ({ ...when(p.at, r), ip: p.ip, link: forgotLink(c) }) },
  invite: { mail: 'mail.invite', vars: (p) => p },
  welcome: { mail: 'mail.welcome', vars: (p, c) => ({ inviter: p.inviter, link: `${c.linkBase}login` }) },
  email_change_confirm: { mail: 'mail.emailConfirm', vars: (p) => p },
  email_change_notice: { of: security, mail: 'mail.emailNotice', vars: (p) => p },
  address_in_use_add: { of: security, mail: 'mail.addressInUse.add', vars: () => ({}) },
  address_in_use_change: { of: security, mail: 'mail.addressInUse.change', vars: () => ({}) },
  otp_locked: { of: security, mail: 'mail.totpLocked', vars: (p, c) => ({ count: p.minutes, link: forgotLink(c) }) },
  otp_replay: { of: security, mail: 'mail.totpReplay', vars: (_p, c) => ({ link: forgotLink(c) }) },
  totp_enabled: { of: security, mail: 'mail.totpEnabled', vars: (p, c, r) => ({ ...when(p.at, r), ip: p.ip, link: forgotLink(c) }) },
  totp_disabled: { of: security, mail: 'mail.totpDisabled', vars: (p, c, r) => ({ ...when(p.at, r), ip: p.ip, link: forgotLink(c) }) },
  totp_codes_regenerated: { of: security, mail: 'mail.totpCodes', vars: (p, c, r) => ({ ...when(p.at, r), ip: p.ip, link: forgotLink(c) }) },
  totp_reset: { of: security, mail: 'mail.totpReset', vars: (p, c, r) => ({ ...when(p.at, r), link: forgotLink(c) }) },
  // The browser comes from the User-Agent header, which the client writes: typed text, neutralised (not TRUSTED).
  new_sign_in: { of: security, mail: 'mail.newSignIn', vars: (p, c, r) => ({ ...when(p.at, r), ip: p.ip, browser: p.browser ?? translator(r.lang)('sessions.unknownBrowser'), link: forgotLink(c) }) },
  phone_code: { text: 'sms.code', vars: (p) => ({ code: p.code, count: p.minutes }) },
  telegram_linked: { text: 'telegram.bot.linked', vars: () => ({}) },
  telegram_code_invalid: { text: 'telegram.bot.codeInvalid', vars: () => ({}) },
  telegram_chat_taken: { text: 'telegram.bot.chatTaken', vars: () => ({}) },
  telegram_unlinked: { text: 'telegram.bot.unlinked', vars: () => ({}) },
  privacy_request: {
    of: security,
    mail: 'mail.privacyRequest',
    vars: (p, _c, r) => {
      const t = translator(r.lang)
      return { ...when(p.at, r), request: t(`privacy.requests.kind.${p.kind}`), status: t(`privacy.requests.status.${p.status}`), note: p.reason === null ? '' : t('mail.privacyRequest.reason', { reason: p.reason }) }
    }
  },
  notice: { of: (p) => p.type, mail: 'mail.notice', text: 'notice.text', vars: (p) => ({ subject: p.subject, text: p.text }) }
}

/** Values that are ours, not typed text: left as they are. Anything else is neutralised. */
const TRUSTED = new Set(['link', 'email', 'old', 'new', 'app', 'time', 'zone', 'ip', 'count', 'code'])

/** Who the message is for, as the templates greet them. */
export interface Addressee {
  name?: string
  email?: string
  /** The IANA zone every time is written in; UTC when there is no user to ask. */
  timeZone?: string
}

export interface Rendered {
  mail?: Omit<MailMessage, 'to'>
  text?: string
}

type RenderConfig = Pick<Config, 'linkBase' | 'appName'> & Partial<Pick<Config, 'appNameSet'>>

function varsFor<T extends NotificationType> (config: RenderConfig, lang: Language, type: T, params: NotificationParams[T], to: Addressee): Vars {
  const template = templates[type] as Template<NotificationParams[T]>
  const reader: Reader = { lang, timeZone: to.timeZone ?? 'UTC' }
  const all: Vars = { name: to.name ?? '', email: to.email ?? '', app: appNameIn(config, lang), ...template.vars(params, config, reader) }
  const link = all.link
  if (link !== undefined && !String(link).startsWith(config.linkBase)) throw new Error(`a ${type} link must start with PUBLIC_URL's root`)
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, TRUSTED.has(k) || typeof v === 'number' ? v : neutraliseUserText(v)]))
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

/** The body as HTML: the catalog text escaped, each value escaped, `link` as the one anchor. */
function htmlBody (lang: Language, key: MessageKey, vars: Vars): string {
  // The text and the values are escaped each once: the placeholders survive escaping and are filled after.
  const filled = escapeHtml(messageTemplate(lang, key, vars)).replace(/\{(\w+)\}/g, (m, k: string) => {
    if (!Object.hasOwn(vars, k)) return m
    const value = escapeHtml(String(vars[k]))
    return k === 'link' ? `<a href="${value}">${value}</a>` : value
  })
  const paragraphs = filled.split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>\n')}</p>`).join('\n')
  return `<!doctype html>\n<html lang="${lang}"><head><meta charset="utf-8"></head><body>\n${paragraphs}\n</body></html>\n`
}

/**
 * A notification mail with its one-click unsubscribe: the List-Unsubscribe
 * headers (RFC 2369, RFC 8058) and the same link at the foot of the text
 * and the HTML, for the mail clients that do not show the header.
 */
export function withUnsubscribe (lang: Language, mail: NonNullable<Rendered['mail']>, url: string): NonNullable<Rendered['mail']> {
  const footer = messageTemplate(lang, 'mail.unsubscribe', {})
  const [before = '', after = ''] = footer.split('{link}')
  const anchor = `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`
  return {
    ...mail,
    text: `${mail.text}\n\n${before}${url}${after}`,
    html: mail.html?.replace(/<\/body><\/html>\n$/, `<p>${escapeHtml(before)}${anchor}${escapeHtml(after)}</p>\n</body></html>\n`),
    headers: { ...mail.headers, 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
  }
}

/** The notification written in the language, for the channels it has a form for. */
export function render<T extends NotificationType> (config: RenderConfig, lang: Language, type: T, params: NotificationParams[T], to: Addressee): Rendered {
  const template = templates[type] as Template<NotificationParams[T]>
  const vars = varsFor(config, lang, type, params, to)
  const t = translator(lang)
  const out: Rendered = {}
  if (template.mail !== undefined) {
    out.mail = {
      subject: t(`${template.mail}.subject`, vars),
      text: t(`${template.mail}.body`, vars),
      html: htmlBody(lang, `${template.mail}.body`, vars),
      // RFC 3834: no auto-reply to a notification.
      headers: { 'Auto-Submitted': 'auto-generated' },
      fromName: String(vars.app)
    }
  }
  if (template.text !== undefined) out.text = t(template.text, vars)
  return out
}
