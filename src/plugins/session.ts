// Server-side sessions in PostgreSQL (@fastify/session with our store).
// Guarantees:
// - the table holds SHA-256(session id), never the id itself;
// - one query per request reads the session, the user (only while active)
//   and the user's permissions, and touches last_seen_at at most once a
//   minute: the session row is not written on every request;
// - idle and absolute timeouts are enforced by that query, with the injected clock;
// - a session that was ended (logout, password reset, user disabled) is never
//   brought back by a concurrent request saving it: rows read from the
//   database are only UPDATEd; only ids made in this request are INSERTed.
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { sha256 } from '../lib/tokens.ts'
import type { CurrentUser } from '../lib/current-user.ts'
import { isLanguage } from '../lib/i18n.ts'
import type { Deps } from '../types.ts'

const TOUCH_EVERY_MS = 60_000
const LOADED = '__stored'
const AUTH = '__auth'

interface SessionRow {
  data: Record<string, unknown>
  user_id: string | null
  uid: string | null
  account_id: string
  email: string
  full_name: string
  is_owner: boolean
  full_access: boolean
  language: string
  time_zone: string
  rows_per_page: number
  last_login_at: Date | null
  permissions: string[]
}

type Callback = (err?: any, result?: any) => void

export class PgSessionStore implements SessionStore {
  constructor (private readonly deps: Pick<Deps, 'db' | 'clock' | 'config'>) {}

  private get idleMs (): number { return this.deps.config.sessionIdleMinutes * 60_000 }
  private get absoluteMs (): number { return this.deps.config.sessionAbsoluteHours * 3_600_000 }

  get (sessionId: string, callback: Callback): void {
    this.load(sessionId).then((s) => callback(null, s), callback)
  }

  set (sessionId: string, session: any, callback: Callback): void {
    this.save(sessionId, session).then(() => callback(), callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.deps.db.deleteFrom('sessions').where('id', '=', sha256(sessionId)).execute().then(() => callback(), callback)
  }

  private async load (sessionId: string): Promise<Record<string, unknown> | null> {
    const now = this.deps.clock.now().getTime()
    const { rows } = await sql<SessionRow>`
      with s as (
        select id, user_id, data, last_seen_at from sessions
        where id = ${sha256(sessionId)}
          and last_seen_at > ${new Date(now - this.idleMs)}
          and created_at > ${new Date(now - this.absoluteMs)}
      ), touched as (
        update sessions set last_seen_at = ${new Date(now)} from s
        where sessions.id = s.id and s.last_seen_at < ${new Date(now - TOUCH_EVERY_MS)}
        returning 1
      )
      select s.data, s.user_id, u.id as uid, u.account_id, u.email, u.full_name, u.is_owner, u.full_access,
        u.language, u.time_zone, u.rows_per_page, u.last_login_at,
        coalesce((select array_agg(p.permission order by p.permission) from user_permissions p where p.user_id = u.id), '{}') as permissions
      from s left join users u on u.id = s.user_id and u.status = 'active'`.execute(this.deps.db)
    const row = rows[0]
    if (row === undefined) return null
    if (row.user_id !== null && row.uid === null) return null // the user was disabled or deleted
    const session: Record<string, unknown> = { ...row.data, [LOADED]: true }
    if (row.uid !== null) {
      const user: CurrentUser = {
        id: row.uid,
        accountId: row.account_id,
        email: row.email,
        fullName: row.full_name,
        isOwner: row.is_owner,
        fullAccess: row.full_access,
        language: isLanguage(row.language) ? row.language : 'en',
        timeZone: row.time_zone,
        rowsPerPage: row.rows_per_page,
        lastLoginAt: row.last_login_at,
        permissions: row.permissions
      }
      session[AUTH] = user
      session.userId = row.uid
    }
    return session
  }

  private async save (sessionId: string, session: Record<string, unknown>): Promise<void> {
    const { cookie: _cookie, [AUTH]: _auth, [LOADED]: loaded, userId, ip, userAgent, ...data } = session
    const id = sha256(sessionId)
    const now = this.deps.clock.now()
    if (loaded === true) {
      await this.deps.db.updateTable('sessions').set({ data: JSON.stringify(data), last_seen_at: now })
        .where('id', '=', id).execute()
      return
    }
    await this.deps.db.insertInto('sessions').values({
      id,
      user_id: typeof userId === 'string' ? userId : null,
      data: JSON.stringify(data),
      ip: typeof ip === 'string' ? ip : null,
      user_agent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
      created_at: now,
      last_seen_at: now
    }).onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
      // Only this request knows a new id, so updating it here is safe.
      user_id: eb.ref('excluded.user_id'),
      data: eb.ref('excluded.data'),
      ip: eb.ref('excluded.ip'),
      user_agent: eb.ref('excluded.user_agent'),
      last_seen_at: eb.ref('excluded.last_seen_at')
    }))).execute()
  }
}

export function sessionCookieName (deps: Pick<Deps, 'config'>): string {
  const secure = deps.config.publicUrl.protocol === 'https:'
  return secure && deps.config.basePath === '/' ? '__Host-sid' : 'sid'
}

export default fp(async function sessionPlugin (app: FastifyInstance) {
  const { config } = app.deps
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: config.sessionSecret,
    cookieName: sessionCookieName(app.deps),
    store: new PgSessionStore(app.deps),
    saveUninitialized: false,
    rolling: false,
    cookie: {
      path: config.basePath,
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicUrl.protocol === 'https:'
    }
  })
  app.decorateRequest('user', null)
  app.addHook('onRequest', async (request) => {
    const auth = (request.session as unknown as Record<string, unknown> | null)?.[AUTH]
    request.user = (auth as CurrentUser | undefined) ?? null
  })
}, { name: 'session' })
