// Reads the environment once (SPEC §7), validates every value and freezes the
// result. A wrong value stops the service with a message naming the variable.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import { type AuthService, loadAuthServices } from './lib/auth-services.ts'
import { loadNotificationCatalog, type NotificationCatalog } from './lib/notification-types.ts'
import { type Catalog, loadCatalog } from './lib/permissions.ts'
import { isRegion } from './lib/phone.ts'
import { readOrCreateSecret } from './lib/secret-file.ts'

export interface Config {
  port: number
  host: string
  publicUrl: URL
  /** Root of every link sent out, ending in '/': PUBLIC_URL's own path when it has one, else PUBLIC_URL + BASE_PATH. */
  linkBase: string
  basePath: string // always starts and ends with '/'
  databaseUrl: string | undefined
  dataDir: string
  sessionSecret: string
  sessionIdleMinutes: number
  sessionAbsoluteHours: number
  smtpUrl: string | undefined
  mailFrom: string
  smsWebhookUrl: string | undefined
  smsWebhookToken: string | undefined
  /** Region for phone numbers typed without a +country code (ISO 3166 alpha-2); unset: + is required. */
  phoneDefaultRegion: string | undefined
  telegramBotToken: string | undefined
  telegramBotUsername: string | undefined
  /** What the bot's webhook must carry in X-Telegram-Bot-Api-Secret-Token; unset: the webhook is off. */
  telegramWebhookSecret: string | undefined
  telegramApiUrl: string
  authProvidersFile: string | undefined
  /** AUTH_PROVIDERS_FILE's external authorization services (none when unset), checked at start. */
  authServices: readonly AuthService[]
  permissionsFile: string | undefined
  /** The default catalog, or PERMISSIONS_FILE's, checked at start. */
  permissionCatalog: Catalog
  notificationsFile: string | undefined
  /** The default notification types, or NOTIFICATIONS_FILE's, checked at start. */
  notificationCatalog: NotificationCatalog
  providerApiToken: string | undefined
  /** WEBHOOK_URLS: the receivers every webhook goes to (http or https), normalised, each once; empty: webhooks off. */
  webhookUrls: string[]
  /** WEBHOOK_SECRET: the Standard Webhooks signing secret (whsec_ and base64 of 24-64 bytes); set whenever webhookUrls is not empty. */
  webhookSecret: string | undefined
  trustProxy: boolean | string[]
  frameAncestors: string[]
  appName: string
  /** APP_NAME was given: the provider's brand, shown as is; unset, the default name is shown in each language (i18n appNameIn). */
  appNameSet: boolean
  /** BRAND_LOGO_URL: the logo in the header (https, or http on loopback); its origin joins the CSP's img-src. */
  brandLogoUrl: URL | undefined
  /** BRAND_CSS_URL: a stylesheet linked after the product's own, setting its CSS variables; its origin joins style-src. */
  brandCssUrl: URL | undefined
  logLevel: string
  /** Seconds before the first retry of a failed delivery (mail, SMS); the delay doubles with each retry. */
  deliveryRetryDelaySeconds: number
  /** The delay between two tries of a delivery grows no further than this. */
  deliveryRetryMaxDelaySeconds: number
  /** How many times a failed delivery is tried again before it is given up. */
  deliveryRetryLimit: number
}

export class ConfigError extends Error {
  constructor (readonly variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function str (env: Env, name: string): string | undefined {
  const v = env[name]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function int (env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name)
  if (raw === undefined) return def
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`)
  return n
}

function url (env: Env, name: string, protocols: string[]): URL | undefined {
  const raw = str(env, name)
  if (raw === undefined) return undefined
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new ConfigError(name, `is not a valid URL: "${raw}"`)
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${u.protocol}"`)
  }
  return u
}

function basePath (env: Env): string {
  const raw = str(env, 'BASE_PATH') ?? '/'
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(raw) || raw.includes('//') || /\/\.\.?(\/|$)/.test(raw)) {
    throw new ConfigError('BASE_PATH', `must be a path such as /panel/, got "${raw}"`)
  }
  return raw.endsWith('/') ? raw : raw + '/'
}

function trustProxy (env: Env): Config['trustProxy'] {
  const raw = str(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  const parts = raw.split(',').map((p) => p.trim()).filter(Boolean)
  for (const p of parts) {
    const [addr, bits, extra] = p.split('/')
    const family = isIP(addr ?? '')
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32))
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new ConfigError('TRUST_PROXY', `must be true, false or a comma-separated list of proxy IPs/CIDR ranges; "${p}" is not an IP or range`)
    }
  }
  return parts
}

function frameAncestors (env: Env): string[] {
  const raw = str(env, 'FRAME_ANCESTORS')
  if (raw === undefined) return ["'none'"]
  const parts = raw.split(/[\s,]+/).filter(Boolean)
  for (const p of parts) {
    if (p === "'self'" || p === "'none'") continue
    if (!/^https?:\/\/[A-Za-z0-9.*-]+(:\d+)?$/.test(p)) {
      throw new ConfigError('FRAME_ANCESTORS', `must list origins such as https://billing.example.com or 'self'; "${p}" is not one`)
    }
  }
  return parts
}

/** True for localhost and the loopback addresses, where http is as private as https. */
export function isLoopbackHost (hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1'
}

/** A branding asset's address: https, or http only on loopback (a page over https cannot load http anyway). */
function brandUrl (env: Env, name: string): URL | undefined {
  const u = url(env, name, ['http:', 'https:'])
  if (u === undefined) return undefined
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    throw new ConfigError(name, `must be an https URL (http only on localhost), got "${u.toString()}"`)
  }
  if (u.username !== '' || u.password !== '') throw new ConfigError(name, 'must not carry a user name or password')
  return u
}

function region (env: Env): string | undefined {
  const raw = str(env, 'PHONE_DEFAULT_REGION')
  if (raw === undefined) return undefined
  const code = raw.toUpperCase()
  if (!isRegion(code)) throw new ConfigError('PHONE_DEFAULT_REGION', `must be a two-letter country code such as RU or DE, got "${raw}"`)
  return code
}

/**
 * WEBHOOK_URLS and WEBHOOK_SECRET: comma-separated http(s) receivers, and
 * the secret that signs for them (Standard Webhooks: "whsec_" and the
 * base64 of 24 to 64 random bytes), required when there are receivers.
 */
function webhooks (env: Env): { webhookUrls: string[], webhookSecret: string | undefined } {
  const urls: string[] = []
  for (const part of (str(env, 'WEBHOOK_URLS') ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    let u: URL
    try {
      u = new URL(part)
    } catch {
      throw new ConfigError('WEBHOOK_URLS', `"${part}" is not a valid URL`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('WEBHOOK_URLS', `must use http: or https:, got "${u.protocol}" in "${part}"`)
    if (u.hash !== '') throw new ConfigError('WEBHOOK_URLS', `"${part}" must not have a fragment`)
    if (!urls.includes(u.toString())) urls.push(u.toString())
  }
  const secret = str(env, 'WEBHOOK_SECRET')
  if (secret !== undefined) {
    const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined
    const bytes = body !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64').length : 0
    if (bytes < 24 || bytes > 64) throw new ConfigError('WEBHOOK_SECRET', 'must be "whsec_" followed by the base64 of 24 to 64 random bytes, such as whsec_ and the output of `openssl rand -base64 32`')
  }
  if (urls.length > 0 && secret === undefined) throw new ConfigError('WEBHOOK_SECRET', 'must be set when WEBHOOK_URLS is: webhooks are signed with it')
  return { webhookUrls: urls, webhookSecret: secret }
}

/** Telegram's secret_token of setWebhook: 1-256 characters A-Z, a-z, 0-9, _ and -. */
function telegramWebhookSecret (env: Env): string | undefined {
  const raw = str(env, 'TELEGRAM_WEBHOOK_SECRET')
  if (raw !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(raw)) {
    throw new ConfigError('TELEGRAM_WEBHOOK_SECRET', 'must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (what Telegram accepts as secret_token)')
  }
  return raw
}

/** Telegram's bot usernames: 5-32 characters of letters, digits and _, ending in "bot"; given with or without the @. */
function telegramBotUsername (env: Env): string | undefined {
  const raw = str(env, 'TELEGRAM_BOT_USERNAME')?.replace(/^@/, '')
  if (raw !== undefined && !/^[A-Za-z][A-Za-z0-9_]{4,31}$/.test(raw)) {
    throw new ConfigError('TELEGRAM_BOT_USERNAME', `must be the bot's username such as example_bot, got "${raw}"`)
  }
  return raw
}

function catalog (file: string | undefined): Catalog {
  try {
    return loadCatalog(file)
  } catch (err) {
    throw new ConfigError('PERMISSIONS_FILE', `"${file}" is not a usable permission catalog: ${(err as Error).message}`)
  }
}

function notificationCatalog (file: string | undefined): NotificationCatalog {
  try {
    return loadNotificationCatalog(file)
  } catch (err) {
    throw new ConfigError('NOTIFICATIONS_FILE', `"${file}" is not a usable notification catalog: ${(err as Error).message}`)
  }
}

function authServices (file: string | undefined): AuthService[] {
  try {
    return loadAuthServices(file)
  } catch (err) {
    throw new ConfigError('AUTH_PROVIDERS_FILE', `"${file}" is not a usable list of services: ${(err as Error).message}`)
  }
}

function readableFile (env: Env, name: string): string | undefined {
  const file = str(env, name)
  if (file === undefined) return undefined
  try {
    readFileSync(file)
  } catch (err) {
    throw new ConfigError(name, `cannot read "${file}": ${(err as Error).message}`)
  }
  return file
}

/** SESSION_SECRET, or one generated once into DATA_DIR and reused after. */
function sessionSecret (env: Env, dataDir: string): string {
  const given = str(env, 'SESSION_SECRET')
  if (given !== undefined) {
    if (given.length < 32) throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters long')
    return given
  }
  return readOrCreateSecret(path.join(dataDir, 'session-secret'), () => randomBytes(32).toString('base64url'), (v) => v.length >= 32)
}

export function loadConfig (env: Env = process.env): Readonly<Config> {
  const dataDir = path.resolve(str(env, 'DATA_DIR') ?? './data')
  try {
    mkdirSync(dataDir, { recursive: true })
  } catch (err) {
    throw new ConfigError('DATA_DIR', `cannot create "${dataDir}": ${(err as Error).message}`)
  }
  const host = str(env, 'HOST') ?? '127.0.0.1'
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? new URL('http://localhost:3000')
  if (publicUrl.search !== '' || publicUrl.hash !== '') {
    throw new ConfigError('PUBLIC_URL', 'must not have a query or fragment')
  }
  const mailFrom = str(env, 'MAIL_FROM') ?? `no-reply@${publicUrl.hostname}`
  if (/[\r\n]/.test(mailFrom) || !/^[^<>@\s]+@[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM', `must be one address such as no-reply@example.com, got "${mailFrom}"`)
  }
  const smtp = url(env, 'SMTP_URL', ['smtp:', 'smtps:'])
  const sms = url(env, 'SMS_WEBHOOK_URL', ['http:', 'https:'])
  const telegramApi = url(env, 'TELEGRAM_API_URL', ['http:', 'https:'])
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'])
  const providerApiToken = str(env, 'PROVIDER_API_TOKEN')
  if (providerApiToken !== undefined && providerApiToken.length < 32) {
    throw new ConfigError('PROVIDER_API_TOKEN', 'must be at least 32 characters long')
  }
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`)
  }

  const permissionsFile = readableFile(env, 'PERMISSIONS_FILE')
  const authProvidersFile = readableFile(env, 'AUTH_PROVIDERS_FILE')
  const notificationsFile = readableFile(env, 'NOTIFICATIONS_FILE')
  const base = basePath(env)
  const linkBase = publicUrl.pathname === '/'
    ? `${publicUrl.origin}${base}`
    : `${publicUrl.origin}${publicUrl.pathname.endsWith('/') ? publicUrl.pathname : publicUrl.pathname + '/'}`
  const config: Config = {
    port: int(env, 'PORT', 3000, 0, 65535),
    host,
    publicUrl,
    linkBase,
    basePath: base,
    databaseUrl: databaseUrl?.toString(),
    dataDir,
    sessionSecret: sessionSecret(env, dataDir),
    sessionIdleMinutes: int(env, 'SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionAbsoluteHours: int(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 30),
    smtpUrl: smtp?.toString(),
    mailFrom,
    smsWebhookUrl: sms?.toString(),
    smsWebhookToken: str(env, 'SMS_WEBHOOK_TOKEN'),
    phoneDefaultRegion: region(env),
    telegramBotToken: str(env, 'TELEGRAM_BOT_TOKEN'),
    telegramBotUsername: telegramBotUsername(env),
    telegramWebhookSecret: telegramWebhookSecret(env),
    telegramApiUrl: telegramApi?.toString() ?? 'https://api.telegram.org',
    authProvidersFile,
    authServices: Object.freeze(authServices(authProvidersFile)),
    permissionsFile,
    permissionCatalog: catalog(permissionsFile),
    notificationsFile,
    notificationCatalog: notificationCatalog(notificationsFile),
    providerApiToken,
    ...webhooks(env),
    trustProxy: trustProxy(env),
    frameAncestors: frameAncestors(env),
    appName: str(env, 'APP_NAME') ?? 'Client area',
    appNameSet: str(env, 'APP_NAME') !== undefined,
    brandLogoUrl: brandUrl(env, 'BRAND_LOGO_URL'),
    brandCssUrl: brandUrl(env, 'BRAND_CSS_URL'),
    logLevel,
    deliveryRetryDelaySeconds: int(env, 'DELIVERY_RETRY_DELAY_SECONDS', 30, 1, 3600),
    deliveryRetryMaxDelaySeconds: int(env, 'DELIVERY_RETRY_MAX_DELAY_SECONDS', 900, 1, 86400),
    // With the doubling delay capped at 15 minutes, 100 retries take about a day.
    deliveryRetryLimit: int(env, 'DELIVERY_RETRY_LIMIT', 100, 0, 100000)
  }
  return Object.freeze(config)
}
