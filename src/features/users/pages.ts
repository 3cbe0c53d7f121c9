// What the Users pages share: route options, refusals as pages, the flash
// after a change, the permission catalog as a view-model and the target
// lookup that comes before any re-confirmation prompt.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.ts'
import { can, type CurrentUser } from '../../lib/current-user.ts'
import { asFormBody } from '../../lib/forms.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { labelIn } from '../../lib/permissions.ts'
import type { Deps } from '../../types.ts'
import { requireConfirmation, type Resolve } from '../two-factor/index.ts'
import { type Refusal, targetFor } from './service.ts'

export type Id = { Params: { id: string } }
export const VIEW = { config: { access: { permission: 'users.view' } } }
export const MANAGE = { config: { access: { permission: 'users.manage' } } }

export const refusalPages: Record<Refusal, { status: number, message: MessageKey }> = {
  not_found: { status: 404, message: 'error.notFound' },
  owner: { status: 403, message: 'users.refusedOwner' },
  self: { status: 403, message: 'users.refusedSelf' },
  not_held: { status: 403, message: 'users.refusedNotHeld' },
  full_access: { status: 422, message: 'users.refusedFullAccess' },
  unknown_permission: { status: 422, message: 'error.unknownPermission' }
}

export function refuseFor (reply: FastifyReply, reason: Refusal): FastifyReply {
  const page = refusalPages[reason]
  return reply.render('errors/error', { status: page.status === 422 ? 400 : page.status, message: page.message }, page.status)
}

/** Success: the flash, then back to a page (the list unless given). */
export function done (request: FastifyRequest, reply: FastifyReply, text: MessageKey, to: string): FastifyReply {
  request.session.flash = { type: 'success', text }
  return reply.redirect(to, 303)
}

/** The permission catalog in the request's language, each action with whether it is held and whether the actor may grant it. */
export function catalogView (config: Pick<Config, 'permissionCatalog'>, request: FastifyRequest, actor: CurrentUser, held: (key: string) => boolean) {
  return config.permissionCatalog.sections.map((s) => ({
    label: labelIn(s.label, request.lang),
    actions: s.actions.map((a) => {
      const key = `${s.key}.${a.key}`
      return { key, label: labelIn(a.label, request.lang), on: held(key), grantable: can(actor, key) }
    })
  }))
}

export const mayGrantFull = (actor: CurrentUser): boolean => actor.isOwner || actor.fullAccess

/**
 * Sensitive: re-confirmed (password, or One-time password with 2FA) before
 * the action, after the target was found in the actor's account and may be
 * acted on (a 404 or 403 comes before any prompt).
 */
export function onUser (deps: Deps, back: (id: string) => string): Resolve {
  return async (request, reply, actor) => {
    const found = await targetFor(deps, actor, (request.params as { id: string }).id)
    if (!found.ok) {
      refuseFor(reply, found.reason)
      return undefined
    }
    return { target: found.target.id, targetLabel: found.target.email, back: back(found.target.id) }
  }
}

export function confirmed (op: string, resolve: Resolve, secrets?: Parameters<typeof requireConfirmation>[2]) {
  return { ...MANAGE, preHandler: requireConfirmation(op, resolve, secrets) }
}

/** The posted form as strings, to show again: never the password or the token. */
export function asStrings (body: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(asFormBody(body))) {
    if (typeof v === 'string' && k !== 'password' && k !== '_csrf') out[k] = v
    if (Array.isArray(v) && k === 'permission') out[k] = v.join(' ')
  }
  return out
}
