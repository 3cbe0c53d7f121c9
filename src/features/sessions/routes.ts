import type { FastifyInstance } from 'fastify'
import { formatDateTime } from '../../lib/format.ts'
import { siteCookieOptions } from '../../lib/site-cookies.ts'
import { sessionCookieName } from '../../plugins/session.ts'
import { endOtherSessions, endSession, listSessions, listSignIns } from './service.ts'
import { signedInHandler } from '../../plugins/guards.ts'

export default async function sessionsRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const base = deps.config.basePath
  const page = `${base}client/profile/sessions`

  app.get('/client/profile/sessions', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    const when = (d: Date) => formatDateTime(d, request.lang, user.timeZone)
    const sessions = await listSessions(deps, user, request.session.sessionId)
    const signIns = await listSignIns(deps, user)
    return reply.render('sessions/index', {
      sessions: sessions.map((s) => ({ ...s, lastSeen: when(s.lastSeen), started: when(s.started) })),
      hasOthers: sessions.some((s) => !s.current),
      signIns: signIns.map((s) => ({ ...s, at: when(s.at) }))
    })
  }))

  app.post<{ Params: { id: string } }>('/client/profile/sessions/:id/end', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    const ended = await endSession(deps, user, request.params.id, request.session.sessionId, { ip: request.ip })
    if (ended === false) return reply.render('errors/error', { status: 404 }, 404)
    if (ended === 'current') {
      // Ending this very session is a logout.
      await request.session.destroy()
      reply.clearCookie(sessionCookieName(deps), { path: base, ...siteCookieOptions(deps.config) })
      return reply.redirect(`${base}login?signed_out=1`, 303)
    }
    request.session.flash = { type: 'success', text: 'sessions.ended' }
    return reply.redirect(page, 303)
  }))

  app.post('/client/profile/sessions/end-others', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    await endOtherSessions(deps, user, request.session.sessionId, { ip: request.ip })
    request.session.flash = { type: 'success', text: 'sessions.endedOthers' }
    return reply.redirect(page, 303)
  }))
}
