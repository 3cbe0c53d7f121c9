// Server-side sessions in PostgreSQL (@fastify/session with our store).
// Guarantees:
// - the table holds SHA-256(session id), never the id itself;
// - one query per request reads the session, the user (only while active)
//   and the user's permissions; last_seen_at is written at most once a
//   minute: the session row is not written on every request; the user's
//   policy flags are computed again only when a policy change has made
//   those kept on their row stale (a second statement, once);
// - idle and absolute timeouts are enforced by that query, with the injected clock;
// - a session that was ended (logout, password reset, user disabled) is never
//   brought back by a concurrent request saving it: rows read from the
//   database are only UPDATEd; only ids made in this request are INSERTed;
// - a sign-in waiting at the second step is stored as its user's
//   (pending_user_id), so that ending "every session of the user" ends it;
// - a session whose user's permissions or status changed (rotate) gets a new
//   id on its next request, before any handler runs; the old id then lives
//   ROTATION_GRACE_MS more (and cannot rotate again), so that requests the
//   browser sent at the same time are answered instead of signed out;
// - anonymous visitors get no session row: their CSRF secret is a signed
//   cookie (plugins/csrf.ts); a row is written only when a request stores
//   something (a flash, a sign-in).
// The user rides in the session under a reference that serialises as its id:
// @fastify/session hashes the whole session twice a request to see whether
// to save it, and the user is neither saved nor changed by handlers.
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { epochMs } from '../db/epoch-ms.ts'
import { rememberingSigner } from '../lib/cookie-signer.ts'
import { siteCookieOptions } from '../lib/site-cookies.ts'
import { renewCsrfSecret } from './csrf.ts'
import { sha256 } from '../lib/tokens.ts'
import type { CurrentUser } from '../lib/current-user.ts'
import { isLanguage } from '../lib/i18n.ts'
import type { Deps } from '../types.ts'

const TOUCH_EVERY_MS = 60_000
export const ROTATION_GRACE_MS = 10_000
const LOADED = '__stored'
const AUTH = '__auth'
const ROTATE = '__rotate'

// Session, active user and permissions in one round trip, prepared once per
// connection, from two tables and the one-row policy_epoch: the user's
// permissions, Telegram link and avatar are copies on their row, kept by a
// trigger (migrations/2026-11-28T01-00-session-user.ts). The user comes as
// one JSON column: fewer columns, less parsing. The policy flags come from
// the user's row too, with whether they are still current (policyFresh);
// when not, POLICY_SQL computes them.
const LOAD_SQL = `
  select s.data, s.user_id, s.rotate, ${epochMs('s.last_seen_at')} as seen_ms,
    case when u.id is null then null else json_build_object(
      'id', u.id::text, 'accountId', u.account_id::text, 'email', u.email, 'fullName', u.full_name,
      'isOwner', u.is_owner, 'fullAccess', u.full_access, 'language', u.language, 'timeZone', u.time_zone,
      'rowsPerPage', u.rows_per_page, 'lastLoginAt', ${epochMs('u.last_login_at')},
      'phone', u.phone, 'phoneVerified', u.phone_verified, 'twoFactor', u.two_factor_enabled,
      'permissions', u.permissions,
      'ipAccess', u.ip_access, 'ipAllowList', array_to_string(u.ip_allow_list, chr(10)), 'bindSessionIp', u.bind_session_ip,
      'sessionIp', s.ip, 'restricted', u.restricted,
      'telegramLinked', u.telegram_linked, 'avatar', u.avatar_file,
      'policyPending', u.policy_pending, 'policyUpdated', u.policy_updated,
      'policyFresh', coalesce(u.policy_epoch = e.epoch and (u.policy_until is null or u.policy_until > to_timestamp($4::float8 / 1000)), false)
    ) end as u
  from sessions s left join users u on u.id = s.user_id and u.status = 'active' left join policy_epoch e on true
  where s.id = $1 and s.last_seen_at > to_timestamp($2::float8 / 1000) and s.created_at > to_timestamp($3::float8 / 1000)
    and (s.ends_at is null or s.ends_at > to_timestamp($4::float8 / 1000))`

// The user's policy flags when those on their row are stale (their epoch is
// not the current one, or a version has taken effect since): computed and
// stored in one statement, stamped with the epoch read in the same snapshot
// (migrations/2026-11-28T01-00-session-user.ts).
const POLICY_SQL = `
  update users u set
    policy_pending = exists (
        select 1 from policy_versions v
        where v.required and v.effective_at <= to_timestamp($2::float8 / 1000)
          and not exists (select 1 from policy_versions n where n.required and n.document = v.document and n.version > v.version and n.effective_at <= to_timestamp($2::float8 / 1000))
          and not exists (select 1 from policy_decisions d where d.user_id = u.id and d.document = v.document and d.version = v.version and d.decision = 'accepted')),
    policy_updated = exists (
        select 1 from policy_versions v
        where not v.required and v.effective_at <= to_timestamp($2::float8 / 1000)
          and not exists (select 1 from policy_versions n where n.document = v.document and n.version > v.version and n.effective_at <= to_timestamp($2::float8 / 1000))
          and exists (select 1 from policy_decisions d where d.user_id = u.id and d.document = v.document and d.version < v.version)
          and not exists (select 1 from policy_decisions d where d.user_id = u.id and d.document = v.document and d.version = v.version)),
    policy_until = (select min(v.effective_at) from policy_versions v where v.effective_at > to_timestamp($2::float8 / 1000)),
    policy_epoch = (select e.epoch from policy_epoch e)
  where u.id = $1
  returning u.policy_pending, u.policy_updated`

interface SessionRow {
  data: Record<string, unknown>
  user_id: string | null
  rotate: boolean
  seen_ms: number
  u: (Omit<CurrentUser, 'lastLoginAt'> & { lastLoginAt: number | null, policyFresh: boolean }) | null
}

type Callback = (err?: any, result?: any) => void

/** The signed-in user in the session: read on every request, never saved, hashed as its id. */
class UserRef {
  constructor (readonly user: CurrentUser) {}
  toJSON (): string { return this.user.id }
}

export class PgSessionStore implements SessionStore {
  /** Ids whose next destroy (by regenerate, in the same request) retires them instead. */
  private readonly retiring = new Set<string>()

  constructor (private readonly deps: Pick<Deps, 'db' | 'pool' | 'clock' | 'config'>) {}

  /** The next destroy of this id leaves it valid ROTATION_GRACE_MS more, never to rotate again. */
  retireOnDestroy (sessionId: string): void {
    this.retiring.add(sessionId)
  }

  private get idleMs (): number { return this.deps.config.sessionIdleMinutes * 60_000 }
  private get absoluteMs (): number { return this.deps.config.sessionAbsoluteHours * 3_600_000 }

  get (sessionId: string, callback: Callback): void {
    this.load(sessionId).then((s) => callback(null, s), callback)
  }

  set (sessionId: string, session: any, callback: Callback): void {
    this.save(sessionId, session).then(() => callback(), callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    const id = sha256(sessionId)
    const done = this.retiring.delete(sessionId)
      ? this.deps.db.updateTable('sessions').set({ rotate: false, ends_at: new Date(this.deps.clock.now().getTime() + ROTATION_GRACE_MS) }).where('id', '=', id).execute()
      : this.deps.db.deleteFrom('sessions').where('id', '=', id).execute()
    done.then(() => callback(), callback)
  }

  private async load (sessionId: string): Promise<Record<string, unknown> | null> {
    const now = this.deps.clock.now().getTime()
    const id = sha256(sessionId)
    const { rows } = await this.deps.pool.query<SessionRow>({
      name: 'session_load',
      text: LOAD_SQL,
      values: [id, now - this.idleMs, now - this.absoluteMs, now]
    })
    const row = rows[0]
    if (row === undefined) return null
    if (row.user_id !== null && row.u === null) return null // the user was disabled or deleted
    if (now - row.seen_ms > TOUCH_EVERY_MS) {
      await this.deps.pool.query({
        name: 'session_touch',
        text: 'update sessions set last_seen_at = $2 where id = $1 and last_seen_at < $2',
        values: [id, new Date(now)]
      })
    }
    const session: Record<string, unknown> = { ...row.data, [LOADED]: true }
    if (row.rotate) session[ROTATE] = true
    if (row.u !== null) {
      const { policyFresh, ...u } = row.u
      if (!policyFresh) {
        const { rows: [flags] } = await this.deps.pool.query<{ policy_pending: boolean, policy_updated: boolean }>({ name: 'session_policy', text: POLICY_SQL, values: [u.id, now] })
        if (flags === undefined) return null // the user was deleted meanwhile
        u.policyPending = flags.policy_pending
        u.policyUpdated = flags.policy_updated
      }
      const user: CurrentUser = {
        ...u,
        language: isLanguage(u.language) ? u.language : 'en',
        lastLoginAt: u.lastLoginAt === null ? null : new Date(u.lastLoginAt)
      }
      session[AUTH] = new UserRef(user)
      session.userId = user.id
    }
    return session
  }

  private async save (sessionId: string, session: Record<string, unknown>): Promise<void> {
    const { cookie: _cookie, [AUTH]: _auth, [LOADED]: loaded, [ROTATE]: _rotate, userId, ip, userAgent, ...data } = session
    const id = sha256(sessionId)
    const now = this.deps.clock.now()
    const pending = (data.pending2fa as { userId?: unknown } | undefined)?.userId
    const pendingUserId = typeof pending === 'string' ? pending : null
    if (loaded === true) {
      await this.deps.db.updateTable('sessions').set({ data: JSON.stringify(data), pending_user_id: pendingUserId, last_seen_at: now })
        .where('id', '=', id).execute()
      return
    }
    await this.deps.db.insertInto('sessions').values({
      id,
      user_id: typeof userId === 'string' ? userId : null,
      pending_user_id: pendingUserId,
      data: JSON.stringify(data),
      ip: typeof ip === 'string' ? ip : null,
      user_agent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
      created_at: now,
      last_seen_at: now
    }).onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
      // Only this request knows a new id, so updating it here is safe.
      user_id: eb.ref('excluded.user_id'),
      pending_user_id: eb.ref('excluded.pending_user_id'),
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
  // Checks each cookie's HMAC once and signs each value once (see cookie-signer.ts):
  // the session id and the CSRF secret (plugins/csrf.ts).
  const signer = rememberingSigner(config.sessionSecret)
  const store = new PgSessionStore(app.deps)
  await app.register(fastifyCookie, { secret: signer })
  await app.register(fastifySession, {
    secret: signer,
    cookieName: sessionCookieName(app.deps),
    store,
    saveUninitialized: false,
    rolling: false,
    cookie: {
      path: config.basePath,
      httpOnly: true,
      // SameSite=Lax; None, Secure and Partitioned when framed (FRAME_ANCESTORS).
      ...siteCookieOptions(config)
    }
  })
  app.decorateRequest('user', null)
  // A callback hook, not an async one: it runs on every request and almost
  // always answers at once (an async hook costs a promise and a turn each time).
  app.addHook('onRequest', (request, reply, done) => {
    const session = request.session as unknown as Record<string, unknown> | null
    const auth = session?.[AUTH]
    const user = auth instanceof UserRef ? auth.user : null
    request.user = user
    // The user's privileges changed since this session was made: a new id now.
    if (session?.[ROTATE] !== true || user === null) return done()
    store.retireOnDestroy(request.session.sessionId)
    renewSession(request, reply, user.id).then(() => {
      ;(request.session as unknown as Record<string, unknown>)[AUTH] = new UserRef(user)
      done()
    }, done)
  })
}, { name: 'session' })

/**
 * Whether this request came with a session that has since ended (signed
 * out elsewhere, timed out, ended from another device): a validly signed
 * session cookie whose session is no longer stored.
 */
export function sessionWasEnded (request: FastifyRequest): boolean {
  const raw = request.cookies[sessionCookieName(request.server.deps)]
  if (raw === undefined) return false
  const { valid, value } = request.unsignCookie(raw)
  return valid && value !== null && value !== request.session.sessionId
}

/** A new, empty session id for this browser: the old id, its row and the CSRF secret are gone. */
export async function newSessionId (request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await request.session.regenerate()
  renewCsrfSecret(request, reply)
}

/**
 * A new session id for the signed-in user (login, password change, a
 * privilege change); only what is named here carries over.
 */
export async function renewSession (request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
  await newSessionId(request, reply)
  request.session.userId = userId
  request.session.ip = request.ip
  const ua = request.headers['user-agent']
  request.session.userAgent = typeof ua === 'string' ? ua : undefined
}
