// Request guards of Main settings (Feature.guards, after signed-in and
// permission), on every request of a signed-in user, public routes included.
// Guarantees:
// - a session used from an IP outside its user's list (when the list is on)
//   ends at once: its row is deleted, the request is answered as any ended
//   session is (the login page with ended=1, or a 401 for JSON kinds) and
//   the IP is audited;
// - with binding on, a session used from another IP than the one that
//   started it (sessions.ip) ends the same way; a new id given to a session
//   (a privilege change) keeps the IP it started from;
// - the IP is request.ip: X-Forwarded-For counts only from TRUST_PROXY peers;
// - the common case (no list, no binding) costs no query and no parsing;
//   a list is parsed once per distinct list (lib/ip-access.ts).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import { type EventOf, recordEvent } from '../../lib/events.ts'
import { ipAllowed, sameAddress } from '../../lib/ip-access.ts'
import { answerSignedOut, type Guard } from '../../plugins/guards.ts'
import { newSessionId } from '../../plugins/session.ts'

async function endSession (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, event: EventOf): Promise<FastifyReply> {
  const { deps } = request.server
  await recordEvent(deps.db, { ...event, accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip: request.ip, at: deps.clock.now() })
  // A new, empty session: the old id's row is deleted, its CSRF secret dies.
  await newSessionId(request, reply)
  request.user = null
  return answerSignedOut(request, reply)
}

export const ipListGuard: Guard = {
  name: 'ip-list',
  check (request, reply) {
    const user = request.user
    if (user === null || ipAllowed(user, request.ip)) return undefined
    return endSession(request, reply, user, { type: 'session.ended_by_ip_list' })
  }
}

export const sessionBindingGuard: Guard = {
  name: 'session-binding',
  check (request, reply) {
    const user = request.user
    if (user === null || !user.bindSessionIp) return undefined
    if (user.sessionIp !== null && sameAddress(user.sessionIp, request.ip)) return undefined
    return endSession(request, reply, user, { type: 'session.ended_by_binding', personal: { sessionIp: user.sessionIp } })
  }
}
