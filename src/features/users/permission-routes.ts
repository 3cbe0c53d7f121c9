// A user's permissions and Full access: a confirmation page, then the
// re-confirmed POST.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import { asFormBody } from '../../lib/forms.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import { validating } from '../two-factor/index.ts'
import { parseFullAccessChoice, parsePermissionChoice } from './forms.ts'
import { catalogView, confirmed, done, type Id, MANAGE, mayGrantFull, onUser, refusalPages, refuseFor } from './pages.ts'
import { permissionsOf } from './queries.ts'
import { changePermissions, setFullAccess } from './permissions.ts'
import { targetFor } from './service.ts'

export default async function permissionRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const list = `${deps.config.basePath}client/users`
  const keys = deps.config.permissionCatalog.keys
  const pageOf = (id: string) => `${list}/${id}/permissions`

  const permissionsPage = async (request: FastifyRequest, reply: FastifyReply, actor: CurrentUser, id: string, error?: MessageKey, status = 200) => {
    const found = await targetFor(deps, actor, id)
    if (!found.ok) return refuseFor(reply, found.reason)
    const held = new Set(await permissionsOf(deps.db, found.target.id))
    const full = found.target.full_access
    return reply.render('users/permissions', {
      user: { id: found.target.id, email: found.target.email, fullName: found.target.full_name, fullAccess: full },
      sections: catalogView(deps.config, request, actor, (k) => full || held.has(k)),
      canChangeFull: mayGrantFull(actor),
      error
    }, status)
  }

  app.get<Id>('/client/users/:id/permissions', MANAGE, signedInHandler(async (request, reply, actor) => await permissionsPage(request, reply, actor, request.params.id)))

  app.post<Id>('/client/users/:id/permissions/confirm', MANAGE, signedInHandler(async (request, reply, actor) => {
    const choice = parsePermissionChoice(asFormBody(request.body), keys)
    if (!choice.ok) return await permissionsPage(request, reply, actor, request.params.id, choice.error, 422)
    const found = await targetFor(deps, actor, request.params.id)
    if (!found.ok) return refuseFor(reply, found.reason)
    // The page lists only what would change: a permission already in the chosen state is left out.
    const held = new Set(await permissionsOf(deps.db, found.target.id))
    const changes = found.target.full_access ? choice.permissions : choice.permissions.filter((p) => held.has(p) !== choice.enable)
    if (changes.length === 0) return await permissionsPage(request, reply, actor, request.params.id, choice.enable ? 'users.alreadyOn' : 'users.alreadyOff', 422)
    const labels = new Map(catalogView(deps.config, request, actor, () => false).flatMap((s) => s.actions.map((a) => [a.key, `${s.label}: ${a.label}`] as const)))
    return reply.render('users/confirm', {
      title: choice.enable ? 'users.confirm.enable.title' : 'users.confirm.revoke.title',
      text: choice.enable ? 'users.confirm.enable.text' : 'users.confirm.revoke.text',
      params: { name: found.target.full_name, email: found.target.email },
      items: changes.map((p) => labels.get(p) ?? p),
      action: `client/users/${found.target.id}/permissions`,
      back: pageOf(found.target.id),
      button: choice.enable ? 'button.enable' : 'button.disable',
      danger: !choice.enable,
      fields: { action: choice.enable ? 'enable' : 'disable', permission: choice.permissions }
    })
  }))

  // One operation, two forms; each form's bad input gets the permissions page again before any prompt.
  const onPermissions = onUser(deps, pageOf)
  const onChoice = validating(onPermissions, async (request, reply, actor, challenge) => {
    const choice = parsePermissionChoice(asFormBody(request.body), keys)
    return choice.ok ? undefined : await permissionsPage(request, reply, actor, challenge.target, choice.error, 422)
  })
  const onFullAccess = validating(onPermissions, async (request, reply, actor, challenge) => {
    const choice = parseFullAccessChoice(asFormBody(request.body))
    return choice.ok ? undefined : await permissionsPage(request, reply, actor, challenge.target, choice.error, 422)
  })
  app.post<Id>('/client/users/:id/permissions', confirmed('permissions', onChoice), signedInHandler(async (request, reply, actor) => {
    const choice = parsePermissionChoice(asFormBody(request.body), keys)
    if (!choice.ok) return await permissionsPage(request, reply, actor, request.params.id, choice.error, 422)
    const result = await changePermissions(deps, actor, request.params.id, choice.permissions, choice.enable, { ip: request.ip })
    if (result.ok) return done(request, reply, 'users.permissionsSaved', pageOf(request.params.id))
    if (result.reason === 'full_access' || result.reason === 'unknown_permission') {
      return await permissionsPage(request, reply, actor, request.params.id, refusalPages[result.reason].message, 422)
    }
    return refuseFor(reply, result.reason)
  }))

  app.get<Id & { Querystring: { on?: string } }>('/client/users/:id/full-access', MANAGE, signedInHandler(async (request, reply, actor) => {
    const found = await targetFor(deps, actor, request.params.id)
    if (!found.ok) return refuseFor(reply, found.reason)
    const on = request.query.on === '1'
    return reply.render('users/confirm', {
      title: on ? 'users.confirm.fullOn.title' : 'users.confirm.fullOff.title',
      text: on ? 'users.confirm.fullOn.text' : 'users.confirm.fullOff.text',
      params: { name: found.target.full_name, email: found.target.email },
      action: `client/users/${found.target.id}/full-access`,
      back: pageOf(found.target.id),
      button: on ? 'button.enable' : 'button.disable',
      danger: !on,
      fields: { on: on ? '1' : '0' }
    })
  }))

  app.post<Id>('/client/users/:id/full-access', confirmed('permissions', onFullAccess), signedInHandler(async (request, reply, actor) => {
    const choice = parseFullAccessChoice(asFormBody(request.body))
    if (!choice.ok) return await permissionsPage(request, reply, actor, request.params.id, choice.error, 422)
    const result = await setFullAccess(deps, actor, request.params.id, choice.on, { ip: request.ip })
    return result.ok ? done(request, reply, 'users.permissionsSaved', pageOf(request.params.id)) : refuseFor(reply, result.reason)
  }))
}
