// Client → Profile → Sessions and sign-ins (SPEC §2, last point): the user's
// live sessions, ending one or all others, and the recent sign-ins.
import Bowser from 'bowser'
import { serviceNameOf } from '../../lib/auth-services.ts'
import { recordEvent } from '../../lib/events.ts'
import { addSeconds } from '../../lib/clock.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { sha256 } from '../../lib/tokens.ts'
import { endUserSessions } from '../../lib/sessions.ts'
import type { Deps } from '../../types.ts'
import { deleteSession, findLiveSessions, findSignIns } from './queries.ts'

export const SIGN_INS_SHOWN = 20

export interface SessionView { publicId: string, browser: string | null, ip: string | null, lastSeen: Date, started: Date, current: boolean }
/** method: how it was proved, in words (with the external service's name); undefined for rows from before it was recorded. */
export interface SignInView { at: Date, ip: string, browser: string | null, success: boolean, method: { key: MessageKey, service?: string } | undefined }

// login_attempts.method (auth's RecordedMethod) → its words on the page.
const METHOD_WORDS: Record<string, MessageKey> = {
  password: 'sessions.method.password',
  totp: 'sessions.method.totp',
  recovery: 'sessions.method.recovery',
  sso: 'sessions.method.sso',
  sso_totp: 'sessions.method.sso_totp',
  sso_recovery: 'sessions.method.sso_recovery'
}
// The same after an external authorization service (login_attempts.service) as the first factor.
const EXTERNAL_WORDS: Record<string, MessageKey> = {
  external: 'sessions.method.external',
  totp: 'sessions.method.external_totp',
  recovery: 'sessions.method.external_recovery'
}

function methodOf (deps: Deps, method: string | null, service: string | null): SignInView['method'] {
  if (service !== null) {
    const key = EXTERNAL_WORDS[method ?? 'external']
    return key === undefined ? undefined : { key, service: serviceNameOf(deps.config.authServices, service) }
  }
  const key = method === null ? undefined : METHOD_WORDS[method]
  return key === undefined ? undefined : { key }
}

/** "Chrome 156 on Linux" from a User-Agent header, or null. */
export function describeBrowser (userAgent: string | null): string | null {
  if (userAgent === null || userAgent === '') return null
  const { browser, os } = Bowser.parse(userAgent)
  if (browser.name === undefined) return null
  const version = browser.version?.split('.')[0]
  return `${browser.name}${version === undefined ? '' : ` ${version}`}${os.name === undefined ? '' : ` · ${os.name}`}`
}

export async function listSessions (deps: Deps, user: CurrentUser, currentSessionId: string): Promise<SessionView[]> {
  const now = deps.clock.now()
  const current = sha256(currentSessionId)
  const rows = await findLiveSessions(deps.db, user.id, addSeconds(now, -deps.config.sessionIdleMinutes * 60), addSeconds(now, -deps.config.sessionAbsoluteHours * 3600))
  return rows
    .map((r) => ({ publicId: r.public_id, browser: describeBrowser(r.user_agent), ip: r.ip, lastSeen: new Date(r.last_seen_at), started: new Date(r.created_at), current: r.id === current }))
    .sort((a, b) => Number(b.current) - Number(a.current))
}

export async function listSignIns (deps: Deps, user: CurrentUser): Promise<SignInView[]> {
  const rows = await findSignIns(deps.db, user.id, SIGN_INS_SHOWN)
  return rows.map((r) => ({ at: new Date(r.created_at), ip: r.ip, browser: describeBrowser(r.user_agent), success: r.success, method: methodOf(deps, r.method, r.service) }))
}

/** Ends one of the user's own sessions: which one it was, or false when there is no such session of theirs. */
export async function endSession (deps: Deps, user: CurrentUser, publicId: string, currentSessionId: string, client: { ip: string }): Promise<'current' | 'other' | false> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(publicId)) return false
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const ended = await deleteSession(trx, user.id, publicId)
    if (ended === undefined) return false
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'session.ended', ip: client.ip, at: now })
    return ended.id === sha256(currentSessionId) ? 'current' : 'other'
  })
}

export async function endOtherSessions (deps: Deps, user: CurrentUser, currentSessionId: string, client: { ip: string }): Promise<number> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const ended = await endUserSessions(trx, user.id, { except: currentSessionId })
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'session.ended_others', ip: client.ip, details: { count: ended }, at: now })
    return ended
  })
}
