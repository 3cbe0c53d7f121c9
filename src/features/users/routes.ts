// The Users list, adding a user, editing one, enabling, disabling and
// deleting: each change re-confirmed after its target was checked.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { can, type CurrentUser } from '../../lib/current-user.ts'
import { asFormBody } from '../../lib/forms.ts'
import { formatDateTime } from '../../lib/format.ts'
import { pagerLinks, pageSize, parsePageRequest } from '../../lib/keyset.ts'
import { initialsOf } from '../../lib/initials.ts'
import { formatPhone } from '../../lib/phone.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import { type Resolve, validating } from '../two-factor/index.ts'
import { parseNewUser, parseUserEdit } from './forms.ts'
import { asStrings, catalogView, confirmed, done, type Id, MANAGE, mayGrantFull, onUser, refuseFor, VIEW } from './pages.ts'
import { listAccountUsers, pendingEmailChange } from './queries.ts'
import { resendInvitation } from './invitation.ts'
import { addUser, deleteUser, setStatus, targetFor, updateUser } from './service.ts'

export default async function usersRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const list = `${deps.config.basePath}client/users`
  const passwordField = { name: 'password', label: 'field.password' as const, autocomplete: 'new-password' }

  // Keyset paging: ?after=<id> / ?before=<id> / ?last=1 (src/lib/keyset.ts).
  app.get<{ Querystring: Record<string, unknown> }>('/client/users', VIEW, signedInHandler(async (request, reply, actor) => {
    const page = await listAccountUsers(deps.pool, actor.accountId, parsePageRequest(request.query), pageSize(actor.rowsPerPage))
    const manage = can(actor, 'users.manage')
    const now = deps.clock.now().getTime()
    return reply.render('users/index', {
      users: page.rows.map((u) => ({
        id: u.id,
        email: u.email,
        fullName: u.full_name,
        avatar: { file: u.avatar, initials: initialsOf(u.full_name, u.email), size: 'small' },
        active: u.status === 'active',
        invited: u.invited && u.status === 'active',
        inviteExpires: u.invite_expires_ms === null || u.invite_expires_ms <= now ? null : formatDateTime(u.invite_expires_ms, request.lang, actor.timeZone),
        twoFactor: u.two_factor_enabled,
        lastLogin: u.last_login_ms === null ? null : formatDateTime(u.last_login_ms, request.lang, actor.timeZone),
        owner: u.is_owner,
        self: u.id === actor.id,
        manageable: manage && !u.is_owner && u.id !== actor.id
      })),
      pager: pagerLinks(list, new URLSearchParams(), page),
      canManage: manage
    })
  }))

  const newForm = (request: FastifyRequest, reply: FastifyReply, actor: CurrentUser, values: Record<string, string>, errors: Record<string, string>, status = 200) => {
    const chosen = new Set((values.permission ?? '').split(' ').filter(Boolean))
    return reply.render('users/new', { values: { access: 'chosen', ...values }, errors, sections: catalogView(deps.config, request, actor, (k) => chosen.has(k)), canGrantFull: mayGrantFull(actor) }, status)
  }

  app.get('/client/users/new', MANAGE, signedInHandler(async (request, reply, actor) => newForm(request, reply, actor, {}, {})))

  // Bad input gets the form again before any prompt, with the handler's own parser.
  const newUser: Resolve = async (request, reply, actor) => {
    const parsed = parseNewUser(asFormBody(request.body), deps.config.phoneDefaultRegion)
    if (!parsed.ok) {
      newForm(request, reply, actor, parsed.values, parsed.errors, 422)
      return undefined
    }
    return { target: 'new', targetLabel: parsed.values.email, back: `${list}/new` }
  }
  app.post('/client/users', confirmed('users.add', newUser, [passwordField]), signedInHandler(async (request, reply, actor) => {
    const parsed = parseNewUser(asFormBody(request.body), deps.config.phoneDefaultRegion)
    if (!parsed.ok) return newForm(request, reply, actor, parsed.values, parsed.errors, 422)
    const result = await addUser(deps, actor, parsed.values, { ip: request.ip })
    if (result.ok) return done(request, reply, parsed.values.password === null ? 'users.invited' : 'users.created', list)
    if (result.reason === 'email_taken') return newForm(request, reply, actor, { ...asStrings(request.body), password: '' }, { email: 'error.emailTaken' }, 422)
    if (result.reason === 'unknown_permission') return newForm(request, reply, actor, asStrings(request.body), { permission: 'error.unknownPermission' }, 422)
    return refuseFor(reply, result.reason)
  }))

  const editForm = async (reply: FastifyReply, actor: CurrentUser, id: string, values?: Record<string, string>, errors: Record<string, string> = {}, status = 200) => {
    const found = await targetFor(deps, actor, id)
    if (!found.ok) return refuseFor(reply, found.reason)
    const u = found.target
    return reply.render('users/edit', {
      user: { id: u.id, email: u.email, phoneVerified: u.phone_verified },
      values: values ?? { email: u.email, full_name: u.full_name, phone: u.phone === null ? '' : formatPhone(u.phone) },
      pendingEmail: await pendingEmailChange(deps.db, u.id, deps.clock.now()),
      errors
    }, status)
  }

  app.get<Id>('/client/users/:id/edit', MANAGE, signedInHandler(async (request, reply, actor) => await editForm(reply, actor, request.params.id)))

  const onEdit = validating(onUser(deps, (id) => `${list}/${id}/edit`), async (request, reply, actor, challenge) => {
    const parsed = parseUserEdit(asFormBody(request.body), deps.config.phoneDefaultRegion)
    return parsed.ok ? undefined : await editForm(reply, actor, challenge.target, parsed.values, parsed.errors, 422)
  })
  app.post<Id>('/client/users/:id', confirmed('users.edit', onEdit), signedInHandler(async (request, reply, actor) => {
    const parsed = parseUserEdit(asFormBody(request.body), deps.config.phoneDefaultRegion)
    if (!parsed.ok) return await editForm(reply, actor, request.params.id, parsed.values, parsed.errors, 422)
    const result = await updateUser(deps, actor, request.params.id, parsed.values, { ip: request.ip })
    if (result.ok) return done(request, reply, result.emailPending ? 'users.savedEmailPending' : 'users.saved', list)
    if (result.reason === 'email_taken') return await editForm(reply, actor, request.params.id, asStrings(request.body), { email: 'error.emailTaken' }, 422)
    return refuseFor(reply, result.reason)
  }))

  // Not re-confirmed: it sends the invited user's own address a link, and gives the actor nothing.
  app.post<Id>('/client/users/:id/invitation', MANAGE, signedInHandler(async (request, reply, actor) => {
    const result = await resendInvitation(deps, actor, request.params.id, { ip: request.ip })
    if (result.ok) {
      request.session.flash = { type: 'success', text: 'users.invitationResent', params: { email: result.email } }
      return reply.redirect(list, 303)
    }
    if (result.reason === 'not_invited' || result.reason === 'too_many') {
      request.session.flash = { type: 'error', text: result.reason === 'too_many' ? 'users.invitationTooMany' : 'users.invitationNotNeeded' }
      return reply.redirect(list, 303)
    }
    return refuseFor(reply, result.reason)
  }))

  app.post<Id>('/client/users/:id/enable', confirmed('users.enable', onUser(deps, () => list)), signedInHandler(async (request, reply, actor) => {
    const result = await setStatus(deps, actor, request.params.id, 'active', { ip: request.ip })
    return result.ok ? done(request, reply, 'users.enabled', list) : refuseFor(reply, result.reason)
  }))

  // Destructive actions: a confirmation page (GET), then the POST.
  for (const action of ['disable', 'delete'] as const) {
    const op = action === 'disable' ? 'users.disable' : 'users.delete'
    app.get<Id>(`/client/users/:id/${action}`, MANAGE, signedInHandler(async (request, reply, actor) => {
      const found = await targetFor(deps, actor, request.params.id)
      if (!found.ok) return refuseFor(reply, found.reason)
      return reply.render('users/confirm', {
        title: `users.confirm.${action}.title`,
        text: `users.confirm.${action}.text`,
        params: { name: found.target.full_name, email: found.target.email },
        action: `client/users/${found.target.id}/${action}`,
        button: action === 'disable' ? 'button.disable' : 'button.delete',
        danger: true,
        fields: {}
      })
    }))
    app.post<Id>(`/client/users/:id/${action}`, confirmed(op, onUser(deps, () => list)), signedInHandler(async (request, reply, actor) => {
      const result = action === 'disable'
        ? await setStatus(deps, actor, request.params.id, 'disabled', { ip: request.ip })
        : await deleteUser(deps, actor, request.params.id, { ip: request.ip })
      return result.ok ? done(request, reply, action === 'disable' ? 'users.disabled' : 'users.deleted', list) : refuseFor(reply, result.reason)
    }))
  }
}
