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

/** Who may use a route: every route declares one (deny by default). */
export type Access = 'public' | 'user' | { permission: string }

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
  keys: { codes: Buffer, jobs: Buffer, totp: Buffer }
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps
    nav: NavItem[]
    /** Every route with its access rule and the operation it re-confirms, if any (collected as routes are added). */
    routeTable: Array<{ method: string, url: string, access: Access | undefined, operation: string | undefined }>
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
    /** false only for endpoints that authenticate otherwise (webhooks, bearer APIs). */
    csrf?: boolean
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject {
    userId?: string
    ip?: string
    userAgent?: string
    flash?: Flash
    /** Password accepted, second factor still due: no user is signed in yet. */
    pending2fa?: { userId: string, at: number, returnTo?: string }
    /** Re-confirmed operations and until when (ms since the epoch). */
    confirmed?: Record<string, number>
    /** The sealed secret shown on the Enable page until it is confirmed. */
    totpSetup?: string
  }
}
