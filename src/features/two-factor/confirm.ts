// Re-confirmation of sensitive operations ("step-up"). Before a listed
// operation the user proves it is them again: the One-time password when
// 2FA is on, else the password. A confirmation is kept in the server-side
// session, bound to the one operation it was asked for, and expires after
// CONFIRM_SECONDS; another operation needs its own.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { writeAudit } from '../../lib/audit.ts'
import { addSeconds } from '../../lib/clock.ts'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { type LimitRule, recordFailure, recordSuccess, reserveAttempt } from '../../lib/limits.ts'
import { verifyPassword } from '../../lib/passwords.ts'
import type { Deps } from '../../types.ts'
import { otpError, verifySecondFactor } from './otp.ts'

export const CONFIRM_SECONDS = 5 * 60
export const PASSWORD_TRIES = 5
export const PASSWORD_TRIES_WINDOW_SECONDS = 15 * 60

/** The operations that ask for a re-confirmation, with what the page calls them. */
export const operations = {
  phone: 'confirm.op.phone',
  'users.add': 'confirm.op.usersAdd',
  'users.disable': 'confirm.op.usersDisable',
  'users.delete': 'confirm.op.usersDelete',
  permissions: 'confirm.op.permissions',
  'two-factor.recovery-codes': 'confirm.op.recoveryCodes'
} as const satisfies Record<string, MessageKey>
export type Operation = keyof typeof operations

export function isOperation (value: unknown): value is Operation {
  return typeof value === 'string' && Object.hasOwn(operations, value)
}

export function isConfirmed (request: FastifyRequest, op: Operation, now: Date): boolean {
  const until = request.session.confirmed?.[op]
  return until !== undefined && until > now.getTime()
}

/**
 * preHandler: without a live confirmation for op, nothing is done. A GET is
 * sent to the confirmation page and back; a POST is answered 422 with the
 * confirmation form, which leads back to back(request) to do it again.
 */
export function requireConfirmation (op: Operation, back?: (request: FastifyRequest) => string) {
  return async function confirmationGuard (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { basePath } = request.server.deps.config
    if (request.user === null || isConfirmed(request, op, request.server.deps.clock.now())) return
    if (request.method === 'GET') {
      await reply.redirect(`${basePath}client/confirm?op=${encodeURIComponent(op)}&return_to=${encodeURIComponent(request.url)}`, 303)
      return
    }
    await renderConfirmPage(request, reply, op, back?.(request) ?? `${basePath}client/profile`, 'confirm.again', 422)
  }
}

export function renderConfirmPage (request: FastifyRequest, reply: FastifyReply, op: Operation, returnTo: string, error?: MessageKey, status = 200): FastifyReply {
  return reply.render('settings/confirm', { op, operation: operations[op], returnTo, twoFactor: request.user!.twoFactor, error }, status)
}

export type ConfirmResult = { ok: true } | { ok: false, error: MessageKey }

/** PASSWORD_TRIES wrong passwords in PASSWORD_TRIES_WINDOW_SECONDS, then refused until the window ends (lib/limits.ts). */
export const confirmPasswordRule: LimitRule = { kind: 'confirm.password', limit: PASSWORD_TRIES, windowSeconds: PASSWORD_TRIES_WINDOW_SECONDS, onSuccess: 'release' }

/**
 * The password as proof, each check reserved on the counter before argon2
 * runs, so that parallel guesses cannot all be checked. An empty proof is
 * neither checked nor counted.
 */
async function checkPasswordCounted (deps: Deps, userId: string, proof: string): Promise<'right' | 'wrong' | 'refused'> {
  if (proof === '') return 'wrong'
  const reserved = await reserveAttempt(deps.db, [{ rule: confirmPasswordRule, key: userId }], deps.clock.now())
  if (!reserved.ok) return 'refused'
  const row = await deps.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()
  const right = await verifyPassword(row.password_hash, proof)
  if (right) await recordSuccess(deps.db, reserved, deps.clock.now())
  else await recordFailure(deps.db, reserved, deps.clock.now())
  return right ? 'right' : 'wrong'
}

/** Checks the proof and records the confirmation for op in the session. */
export async function confirmOperation (deps: Deps, request: FastifyRequest, user: CurrentUser, op: Operation, proof: string): Promise<ConfirmResult> {
  const now = deps.clock.now()
  if (user.twoFactor) {
    const result = await verifySecondFactor(deps, user.id, proof, { allowRecovery: false, ip: request.ip })
    if (!result.ok) return { ok: false, error: otpError(result.reason) }
  } else {
    const checked = await checkPasswordCounted(deps, user.id, proof)
    if (checked === 'refused') return { ok: false, error: 'error.tooManyTries' }
    if (checked === 'wrong') {
      await writeAudit(deps.db, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, action: 'confirm.failed', ip: request.ip, details: { op }, at: now })
      return { ok: false, error: proof === '' ? 'error.required' : 'error.currentPassword' }
    }
  }
  const live = Object.entries(request.session.confirmed ?? {}).filter(([, until]) => until > now.getTime())
  request.session.confirmed = { ...Object.fromEntries(live), [op]: addSeconds(now, CONFIRM_SECONDS).getTime() }
  await writeAudit(deps.db, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, action: 'confirm.ok', ip: request.ip, details: { op }, at: now })
  return { ok: true }
}
