import type { Kysely } from 'kysely'
import type { Pool } from 'pg'
import type { Config } from './config.ts'
import type { DB } from './db/schema.ts'
import type { Clock } from './lib/clock.ts'
import type { CurrentUser } from './lib/current-user.ts'
import type { Language, MessageKey, Translate } from './lib/i18n.ts'
import type { Jobs } from './lib/jobs.ts'
import type { SendMail } from './lib/mail.ts'
import type { SendSms } from './lib/sms.ts'
import type { SendTelegram } from './lib/telegram.ts'
import type { SettingsBlock } from './lib/feature.ts'
import type { Guard } from './plugins/guards.ts'

/**
 * Who may use a route: every route declares one (deny by default).
 * 'provider': the provider API's bearer token (PROVIDER_API_TOKEN), checked
 * by that feature's own hook before the body is read; no session.
 */
export type Access = 'public' | 'user' | 'provider' | { permission: string }

/** What a route answers and takes: its body limit, CSRF check and error answers (plugins/guards.ts). */
/** page: a form with the CSRF token; link: a page whose URL's signed token is the proof (unsubscribe), so no session or CSRF token; upload: a multipart form (the CSRF token its first part); api, webhook: JSON, authenticated otherwise. */
export type RouteKind = 'page' | 'link' | 'upload' | 'api' | 'webhook'

export interface Flash { type: 'success' | 'error' | 'info', text: MessageKey, params?: Record<string, string> }

export interface NavItem { menu: 'client' | 'tools', label: MessageKey, path: string, permission?: string }

export interface Deps {
  config: Readonly<Config>
  db: Kysely<DB>
  /** The pool under db: only for named prepared statements on hot paths. */
  pool: Pool
  clock: Clock
  jobs: Jobs
  sendMail: SendMail
  sendSms: SendSms
  sendTelegram: SendTelegram
  keys: { codes: Buffer, jobs: Buffer, totp: Buffer, unsubscribe: Buffer }
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps
    nav: NavItem[]
    /** Every route with its access rule, kind and the operation it re-confirms, if any (collected as routes are added). */
    routeTable: Array<{ method: string, url: string, access: Access | undefined, kind: RouteKind, operation: string | undefined }>
    /** The checks every request passes, in order (plugins/guards.ts). */
    guards: Guard[]
    /** Re-confirmed operations the features declare, with what the prompt calls them. */
    operations: Record<string, MessageKey>
    /** Blocks of the User settings page the features declare, in order. */
    settingsBlocks: SettingsBlock[]
    /** Event type → its sentence in the activity log, as the features declare them. */
    eventSentences: Record<string, MessageKey>
  }
  interface FastifyRequest {
    user: CurrentUser | null
    lang: Language
    t: Translate
  }
  interface FastifyReply {
    render: (template: string, data?: Record<string, unknown>, status?: number) => FastifyReply
  }
  interface FastifyContextConfig {
    access?: Access
    /** 'page' unless given; 'upload': a page taking one file (plugins/uploads.ts); API and webhook routes authenticate otherwise and take no CSRF token. */
    kind?: RouteKind
    /** Reachable while a required policy document waits for acceptance (the privacy feature's guard): logout, the language switch, the acceptance page. */
    beforePolicy?: true
    /** The route changes the user's personal data: refused while it is restricted (privacy feature), answered from this page (under BASE_PATH). */
    personalData?: string
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject {
    userId?: string
    ip?: string
    userAgent?: string
    flash?: Flash
    /** A second sentence for the next page's flash (or the flash itself when there is none), read once with it. */
    flashNote?: Flash
    /** Password accepted, second factor still due: no user is signed in yet. */
    pending2fa?: { userId: string, at: number, returnTo?: string, first?: 'password' | 'sso' | 'external' | 'totp' | 'recovery', service?: string }
    /** Re-confirmed operations and until when (ms since the epoch). */
    confirmed?: Record<string, number>
    /** The sealed secret shown on the Enable page until it is confirmed. */
    totpSetup?: string
  }
}
