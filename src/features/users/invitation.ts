// Resend invitation: a new set-password link for a user who has not set a
// password yet; the links sent before stop working in the same transaction.
// At most RESENDS_PER_HOUR per invited user, counted before anything is
// sent (parallel resends cannot all go out).
import { addSeconds } from '../../lib/clock.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import { notify } from '../../lib/deliveries/index.ts'
import { type LimitRule, releaseAttempt, reserveAttempt } from '../../lib/limits.ts'
import { issueToken, revokeTokens } from '../../lib/tokens.ts'
import type { Deps } from '../../types.ts'
import { INVITE_TTL_SECONDS } from '../auth/index.ts'
import { lockInvitedUser } from './queries.ts'
import { audit, type Client, type Refusal, targetFor } from './service.ts'

export const RESENDS_PER_HOUR = 3
const resendRule: LimitRule = { kind: 'users.invite', limit: RESENDS_PER_HOUR, windowSeconds: 3600, onSuccess: 'release' }

export type ResendResult = { ok: true, email: string } | { ok: false, reason: Refusal | 'not_invited' | 'too_many' }

export async function resendInvitation (deps: Deps, actor: CurrentUser, id: string, client: Client): Promise<ResendResult> {
  const found = await targetFor(deps, actor, id)
  if (!found.ok) return found
  const target = found.target
  const now = deps.clock.now()
  const reserved = await reserveAttempt(deps.db, [{ rule: resendRule, key: target.id }], now)
  if (!reserved.ok) return { ok: false, reason: 'too_many' }
  const sent = await deps.db.transaction().execute(async (trx) => {
    if (await lockInvitedUser(trx, target.id) !== true) return false
    await revokeTokens(trx, target.id, 'invite', now)
    const token = await issueToken(trx, target.id, 'invite', now, INVITE_TTL_SECONDS)
    await notify(deps, trx, target.id, 'invite', { inviter: actor.fullName, link: `${deps.config.linkBase}password/reset/${token}` }, { expiresAt: addSeconds(now, INVITE_TTL_SECONDS) })
    await audit(trx, actor, client, now, { type: 'user.invitation_resent', targetUserId: target.id })
    return true
  })
  // A resend that sent nothing does not count.
  if (!sent) {
    await releaseAttempt(deps.db, reserved, now)
    return { ok: false, reason: 'not_invited' }
  }
  return { ok: true, email: target.email }
}
