// Provider API: accounts and users (SPEC §6), thin adapters over the
// provider operations (features/provider), which the CLI runs too. Each
// change is recorded as the provider's, with the client's IP.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { clearIpList, createAccount, deleteUser, findUser, listUsers, permissionsOf, removePhone, resetTwoFactor, updateUser } from '../provider/index.ts'
import { refusal, sendError, userFailure } from './errors.ts'
import { decodeCursor, encodeCursor } from './paging.ts'
import { apiRoute, callerOf } from './route-options.ts'
import {
  AccountCreated, IpListCleared, CreateAccountBody, Deleted, Permissions, PhoneRemoved, TwoFactorReset, UpdateUserBody, User, UserParams, UsersPage, UsersQuery
} from './schemas.ts'

const tags = ['users']

const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app

  app.post('/accounts', apiRoute({ summary: 'Create an account with its first user', tags: ['accounts'], body: CreateAccountBody, response: { 201: AccountCreated } }, [422]), async (request, reply) => {
    const result = await createAccount(deps, request.body, callerOf(request))
    if (!result.ok) return refusal(reply, userFailure(result, ''))
    const { accountId, userId, inviteUrl } = result
    return reply.code(201).send(inviteUrl === undefined ? { accountId, userId } : { accountId, userId, inviteUrl })
  })

  app.get('/users', apiRoute({ summary: 'Users of every account by id, or the one with this email', tags, querystring: UsersQuery, response: { 200: UsersPage } }), async (request, reply) => {
    const { email, limit = 50, cursor } = request.query
    const after = decodeCursor('u', cursor)
    if (after === null) return sendError(reply, 400, 'invalid_cursor', 'cursor: not a cursor of this list')
    const page = await listUsers(deps, { email, after, limit })
    return { users: page.users, next: encodeCursor('u', page.next) }
  })

  app.get('/users/:id', apiRoute({ summary: 'A user', tags, params: UserParams, response: { 200: User } }, [404]), async (request, reply) => {
    const result = await findUser(deps, request.params.id)
    return result.ok ? result.user : refusal(reply, userFailure(result, request.params.id))
  })

  app.patch('/users/:id', apiRoute({ summary: 'Change the email, name or status of any user, the first user included', tags, params: UserParams, body: UpdateUserBody, response: { 200: User } }, [404, 422]), async (request, reply) => {
    const result = await updateUser(deps, request.params.id, request.body, callerOf(request))
    return result.ok ? result.user : refusal(reply, userFailure(result, request.params.id))
  })

  app.delete('/users/:id', apiRoute({ summary: 'Delete any user, the first user included (the account\'s other users stay)', tags, params: UserParams, response: { 200: Deleted } }, [404]), async (request, reply) => {
    const result = await deleteUser(deps, request.params.id, callerOf(request))
    return result.ok ? { userId: result.userId, deleted: true as const } : refusal(reply, userFailure(result, request.params.id))
  })

  app.post('/users/:id/remove-phone', apiRoute({ summary: 'Remove the phone number (one the user can no longer reach)', tags, params: UserParams, response: { 200: PhoneRemoved } }, [404]), async (request, reply) => {
    const result = await removePhone(deps, request.params.id, callerOf(request))
    return result.ok ? { userId: result.userId, phone: null } : refusal(reply, userFailure(result, request.params.id))
  })

  app.post('/users/:id/reset-2fa', apiRoute({ summary: 'Turn two-factor authentication off (lost authenticator and recovery codes); ends the user\'s sessions', tags, params: UserParams, response: { 200: TwoFactorReset } }, [404]), async (request, reply) => {
    const result = await resetTwoFactor(deps, request.params.id, callerOf(request))
    return result.ok ? { userId: result.userId, twoFactor: false as const } : refusal(reply, userFailure(result, request.params.id))
  })

  app.post('/users/:id/clear-ip-list', apiRoute({ summary: 'Access from any IP again, the list emptied (a user locked out by their own list; the CLI\'s user:clear-ip-list)', tags, params: UserParams, response: { 200: IpListCleared } }, [404]), async (request, reply) => {
    const result = await clearIpList(deps, request.params.id, callerOf(request))
    return result.ok ? { userId: result.userId, ipAccess: 'any' as const, ipAllowList: [] } : refusal(reply, userFailure(result, request.params.id))
  })

  // What the billing front end asks on every page: one query, no session.
  app.get('/users/:id/permissions', apiRoute({ summary: 'What the user may do', tags, params: UserParams, response: { 200: Permissions } }, [404]), async (request, reply) => {
    const result = await permissionsOf(deps, request.params.id)
    return result.ok ? { fullAccess: result.fullAccess, permissions: result.permissions } : refusal(reply, userFailure(result, request.params.id))
  })
}

export default userRoutes
