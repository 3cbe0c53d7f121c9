// Confirming an email change a user manager asked for: the link mailed to
// the new address. It works once, only while the address is still free and
// while the one who asked may still change that user's email.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { recordEvent } from '../../lib/events.ts'
import { consumeTokenWithData, peekTokenWithData } from '../../lib/tokens.ts'
import type { Deps } from '../../types.ts'
import { findEmailChangeAsker, setUserEmail } from './queries.ts'
import type { Client } from './service.ts'

export async function checkEmailLink (deps: Deps, token: string): Promise<string | undefined> {
  return (await peekTokenWithData(deps.db, token, 'email_change', deps.clock.now()))?.data.email
}

export type ConfirmEmailResult = { ok: true } | { ok: false, reason: 'invalid_link' | 'email_taken' }

/** The new address confirms: the change takes effect. */
export async function confirmEmailChange (deps: Deps, token: string, client: Client): Promise<ConfirmEmailResult> {
  const now = deps.clock.now()
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const used = await consumeTokenWithData(trx, token, 'email_change', now)
      const email = used?.data.email
      if (used === undefined || email === undefined) return { ok: false as const, reason: 'invalid_link' as const }
      if (!await mayStillChangeEmail(trx, used.data.by, used.userId)) return { ok: false as const, reason: 'invalid_link' as const }
      const user = await setUserEmail(trx, used.userId, email, now)
      if (user === undefined) return { ok: false as const, reason: 'invalid_link' as const }
      await recordEvent(trx, { accountId: user.account_id, actorUserId: null, targetUserId: used.userId, type: 'user.email_changed', ip: client.ip, details: {}, personal: { to: email }, at: now })
      return { ok: true as const }
    })
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return { ok: false, reason: 'email_taken' }
    throw err
  }
}

/**
 * An email change link applies only while the user who asked is still an
 * active user of the target's account with Users: manage (or Full access).
 */
async function mayStillChangeEmail (trx: Kysely<DB>, askedBy: string | undefined, targetId: string): Promise<boolean> {
  if (askedBy === undefined || !/^\d{1,18}$/.test(askedBy)) return false
  const asker = await findEmailChangeAsker(trx, askedBy, targetId)
  return asker !== undefined && asker.status === 'active' && (asker.is_owner || asker.full_access || Boolean(asker.manage))
}
