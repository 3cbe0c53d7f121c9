import type { FastifyInstance } from 'fastify'
import { formatDateTime } from '../../lib/format.ts'

export default async function profileRoutes (app: FastifyInstance): Promise<void> {
  app.nav.push({ menu: 'client', label: 'nav.profile', path: 'client/profile' })

  app.get('/client/profile', { config: { access: 'user' } }, async (request, reply) => {
    const user = request.user!
    return reply.render('profile/show', {
      profile: {
        email: user.email,
        fullName: user.fullName,
        isOwner: user.isOwner,
        language: request.t('lang.name'),
        timeZone: user.timeZone,
        lastLogin: user.lastLoginAt === null ? request.t('profile.never') : formatDateTime(user.lastLoginAt, request.lang, user.timeZone)
      }
    })
  })
}
