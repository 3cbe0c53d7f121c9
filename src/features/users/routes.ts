import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { can } from '../../lib/current-user.ts'
import { asFormBody } from '../../lib/forms.ts'
import { formatDateTime } from '../../lib/format.ts'
import { pagerLinks, pageSize, parsePageRequest } from '../../lib/keyset.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { labelIn } from '../../lib/permissions.ts'
import { formatPhone } from '../../lib/phone.ts'
import { parseNewUser, parsePermissionChoice, parseUserEdit } from './forms.ts'
import { listAccountUsers, pendingEmailChange, permissionsOf } from './queries.ts'
import { type Operation, requireConfirmation, type Resolve } from '../two-factor/confirm.ts'
import { addUser, changePermissions, deleteUser, type Refusal, setFullAccess, setStatus, targetFor, updateUser } from './service.ts'

type Id = { Params: { id: string } }
const VIEW = { config: { access: { permission: 'users.view' } } }
const MANAGE = { config: { access: { permission: 'users.manage' } } }

const refusalPages: Record<Refusal, { status: number, message: MessageKey }> = {
  not_found: { status: 404, message: 'error.notFound' },
  owner: { status: 403, message: 'users.refusedOwner' },
  self: { status: 403, message: 'users.refusedSelf' },
  not_held: { status: 403, message: 'users.refusedNotHeld' },
  full_access: { status: 422, message: 'users.refusedFullAccess' },
  unknown_permission: { status: 422, message: 'error.unknownPermission' }
}

function refuse (reply: FastifyReply, reason: Refusal): FastifyReply {
  const page = refusalPages[reason]
  return reply.render('errors/error', { status: page.status === 422 ? 400 : page.status, message: page.message }, page.status)
}

export default async function usersRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const list = `${deps.config.basePath}client/users`
  const catalog = deps.config.permissionCatalog

  // Sensitive: re-confirmed (password, or One-time password with 2FA) before
  // the action, after the target was found in the actor's account and may be
  // acted on (a 404 or 403 comes before any prompt).
  const onUser = (back: (id: string) => string): Resolve => async (request, reply) => {
    const found = await targetFor(deps, request.user!, (request.params as { id: string }).id)
    if (!found.ok) {
      refuse(reply, found.reason)
      return undefined
    }
    return { target: found.target.id, targetLabel: found.target.email, back: back(found.target.id) }
  }
  const confirmed = (op: Operation, resolve: Resolve, secrets?: Parameters<typeof requireConfirmation>[2]) => ({ ...MANAGE, preHandler: requireConfirmation(op, resolve, secrets) })
  const passwordField = { name: 'password', label: 'field.password' as const, autocomplete: 'new-password' }

  function done (request: FastifyRequest, reply: FastifyReply, text: MessageKey, to = list): FastifyReply {
    request.session.flash = { type: 'success', text }
    return reply.redirect(to, 303)
  }

  function catalogView (request: FastifyRequest, held: (key: string) => boolean) {
    return catalog.sections.map((s) => ({
      label: labelIn(s.label, request.lang),
      actions: s.actions.map((a) => {
        const key = `${s.key}.${a.key}`
        return { key, label: labelIn(a.label, request.lang), on: held(key), grantable: can(request.user, key) }
      })
    }))
  }

  // Keyset paging: ?after=<id> / ?before=<id> / ?last=1 (src/lib/keyset.ts).
  app.get<{ Querystring: Record<string, unknown> }>('/client/users', VIEW, async (request, reply) => {
    const actor = request.user!
    const page = await listAccountUsers(deps.pool, actor.accountId, parsePageRequest(request.query), pageSize(actor.rowsPerPage))
    const manage = can(actor, 'users.manage')
    return reply.render('users/index', {
      users: page.rows.map((u) => ({
        id: u.id,
        email: u.email,
        fullName: u.full_name,
        active: u.status === 'active',
        twoFactor: u.two_factor_enabled,
        lastLogin: u.last_login_ms === null ? null : formatDateTime(u.last_login_ms, request.lang, actor.timeZone),
        owner: u.is_owner,
        self: u.id === actor.id,
        manageable: manage && !u.is_owner && u.id !== actor.id
      })),
      pager: pagerLinks(list, new URLSearchParams(), page),
      canManage: manage
    })
  })

  const newForm = (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: Record<string, string>, status = 200) => {
    const chosen = new Set((values.permission ?? '').split(' ').filter(Boolean))
    return reply.render('users/new', { values: { access: 'chosen', ...values }, errors, sections: catalogView(request, (k) => chosen.has(k)), canGrantFull: request.user!.isOwner || request.user!.fullAccess }, status)
  }

  app.get('/client/users/new', MANAGE, async (request, reply) => newForm(request, reply, {}, {}))

  const newUser: Resolve = async (request) => {
    const email = asFormBody(request.body).email
    return { target: 'new', targetLabel: typeof email === 'string' ? email.trim() : '', back: `${list}/new` }
  }
  app.post('/client/users', confirmed('users.add', newUser, [passwordField]), async (request, reply) => {
    const parsed = parseNewUser(asFormBody(request.body), deps.config.phoneDefaultRegion)
    if (!parsed.ok) return newForm(request, reply, parsed.values, parsed.errors, 422)
    const result = await addUser(deps, request.user!, parsed.values, { ip: request.ip })
    if (result.ok) return done(request, reply, parsed.values.password === null ? 'users.invited' : 'users.created')
    if (result.reason === 'email_taken') return newForm(request, reply, { ...asStrings(request.body), password: '' }, { email: 'error.emailTaken' }, 422)
    if (result.reason === 'unknown_permission') return newForm(request, reply, asStrings(request.body), { permission: 'error.unknownPermission' }, 422)
    return refuse(reply, result.reason)
  })

  const editForm = async (request: FastifyRequest, reply: FastifyReply, id: string, values?: Record<string, string>, errors: Record<string, string> = {}, status = 200) => {
    const found = await targetFor(deps, request.user!, id)
    if (!found.ok) return refuse(reply, found.reason)
    const u = found.target
    return reply.render('users/edit', {
      user: { id: u.id, email: u.email, phoneVerified: u.phone_verified },
      values: values ?? { email: u.email, full_name: u.full_name, phone: u.phone === null ? '' : formatPhone(u.phone) },
      pendingEmail: await pendingEmailChange(deps.db, u.id, deps.clock.now()),
      errors
    }, status)
  }

  app.get<Id>('/client/users/:id/edit', MANAGE, async (request, reply) => await editForm(request, reply, request.params.id))

  app.post<Id>('/client/users/:id', confirmed('users.edit', onUser((id) => `${list}/${id}/edit`)), async (request, reply) => {
    const parsed = parseUserEdit(asFormBody(request.body), deps.config.phoneDefaultRegion)
    if (!parsed.ok) return await editForm(request, reply, request.params.id, parsed.values, parsed.errors, 422)
    const result = await updateUser(deps, request.user!, request.params.id, parsed.values, { ip: request.ip })
    if (result.ok) return done(request, reply, result.emailPending ? 'users.savedEmailPending' : 'users.saved')
    if (result.reason === 'email_taken') return await editForm(request, reply, request.params.id, asStrings(request.body), { email: 'error.emailTaken' }, 422)
    return refuse(reply, result.reason)
  })

  app.post<Id>('/client/users/:id/enable', confirmed('users.enable', onUser(() => list)), async (request, reply) => {
    const result = await setStatus(deps, request.user!, request.params.id, 'active', { ip: request.ip })
    return result.ok ? done(request, reply, 'users.enabled') : refuse(reply, result.reason)
  })

  // Destructive actions: a confirmation page (GET), then the POST.
  for (const action of ['disable', 'delete'] as const) {
    const op = action === 'disable' ? 'users.disable' : 'users.delete'
    app.get<Id>(`/client/users/:id/${action}`, MANAGE, async (request, reply) => {
      const found = await targetFor(deps, request.user!, request.params.id)
      if (!found.ok) return refuse(reply, found.reason)
      return reply.render('users/confirm', {
        title: `users.confirm.${action}.title`,
        text: `users.confirm.${action}.text`,
        params: { name: found.target.full_name, email: found.target.email },
        action: `client/users/${found.target.id}/${action}`,
        button: action === 'disable' ? 'button.disable' : 'button.delete',
        fields: {}
      })
    })
    app.post<Id>(`/client/users/:id/${action}`, confirmed(op, onUser(() => list)), async (request, reply) => {
      const result = action === 'disable'
        ? await setStatus(deps, request.user!, request.params.id, 'disabled', { ip: request.ip })
        : await deleteUser(deps, request.user!, request.params.id, { ip: request.ip })
      return result.ok ? done(request, reply, action === 'disable' ? 'users.disabled' : 'users.deleted') : refuse(reply, result.reason)
    })
  }

  const permissionsPage = async (request: FastifyRequest, reply: FastifyReply, id: string, error?: MessageKey, status = 200) => {
    const found = await targetFor(deps, request.user!, id)
    if (!found.ok) return refuse(reply, found.reason)
    const held = new Set(await permissionsOf(deps.db, found.target.id))
    const full = found.target.full_access
    return reply.render('users/permissions', {
      user: { id: found.target.id, email: found.target.email, fullName: found.target.full_name, fullAccess: full },
      sections: catalogView(request, (k) => full || held.has(k)),
      canChangeFull: request.user!.isOwner || request.user!.fullAccess,
      error
    }, status)
  }

  app.get<Id>('/client/users/:id/permissions', MANAGE, async (request, reply) => await permissionsPage(request, reply, request.params.id))

  app.post<Id>('/client/users/:id/permissions/confirm', MANAGE, async (request, reply) => {
    const choice = parsePermissionChoice(asFormBody(request.body), catalog.keys)
    if (!choice.ok) return await permissionsPage(request, reply, request.params.id, choice.error, 422)
    const found = await targetFor(deps, request.user!, request.params.id)
    if (!found.ok) return refuse(reply, found.reason)
    const labels = new Map(catalogView(request, () => false).flatMap((s) => s.actions.map((a) => [a.key, `${s.label}: ${a.label}`] as const)))
    return reply.render('users/confirm', {
      title: choice.enable ? 'users.confirm.enable.title' : 'users.confirm.revoke.title',
      text: choice.enable ? 'users.confirm.enable.text' : 'users.confirm.revoke.text',
      params: { name: found.target.full_name, email: found.target.email },
      items: choice.permissions.map((p) => labels.get(p) ?? p),
      action: `client/users/${found.target.id}/permissions`,
      back: `${list}/${found.target.id}/permissions`,
      button: choice.enable ? 'button.enable' : 'button.disable',
      fields: { action: choice.enable ? 'enable' : 'disable', permission: choice.permissions }
    })
  })

  const onPermissions = onUser((id) => `${list}/${id}/permissions`)
  app.post<Id>('/client/users/:id/permissions', confirmed('permissions', onPermissions), async (request, reply) => {
    const choice = parsePermissionChoice(asFormBody(request.body), catalog.keys)
    if (!choice.ok) return await permissionsPage(request, reply, request.params.id, choice.error, 422)
    const result = await changePermissions(deps, request.user!, request.params.id, choice.permissions, choice.enable, { ip: request.ip })
    if (result.ok) return done(request, reply, 'users.permissionsSaved', `${list}/${request.params.id}/permissions`)
    if (result.reason === 'full_access' || result.reason === 'unknown_permission') {
      return await permissionsPage(request, reply, request.params.id, refusalPages[result.reason].message, 422)
    }
    return refuse(reply, result.reason)
  })

  app.get<Id & { Querystring: { on?: string } }>('/client/users/:id/full-access', MANAGE, async (request, reply) => {
    const found = await targetFor(deps, request.user!, request.params.id)
    if (!found.ok) return refuse(reply, found.reason)
    const on = request.query.on === '1'
    return reply.render('users/confirm', {
      title: on ? 'users.confirm.fullOn.title' : 'users.confirm.fullOff.title',
      text: on ? 'users.confirm.fullOn.text' : 'users.confirm.fullOff.text',
      params: { name: found.target.full_name, email: found.target.email },
      action: `client/users/${found.target.id}/full-access`,
      back: `${list}/${found.target.id}/permissions`,
      button: on ? 'button.enable' : 'button.disable',
      fields: { on: on ? '1' : '0' }
    })
  })

  app.post<Id>('/client/users/:id/full-access', confirmed('permissions', onPermissions), async (request, reply) => {
    const on = asFormBody(request.body).on
    if (on !== '1' && on !== '0') return await permissionsPage(request, reply, request.params.id, 'error.choosePermission', 422)
    const result = await setFullAccess(deps, request.user!, request.params.id, on === '1', { ip: request.ip })
    return result.ok ? done(request, reply, 'users.permissionsSaved', `${list}/${request.params.id}/permissions`) : refuse(reply, result.reason)
  })
}

function asStrings (body: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(asFormBody(body))) {
    if (typeof v === 'string' && k !== 'password' && k !== '_csrf') out[k] = v
    if (Array.isArray(v) && k === 'permission') out[k] = v.join(' ')
  }
  return out
}
