import type { FastifyInstance } from 'fastify'
import { signedInHandler } from '../../plugins/guards.ts'
import { renderPrivacy } from './view.ts'

/** The page; each part registers its own posts (part.ts). */
export default async function privacyPageRoutes (app: FastifyInstance): Promise<void> {
  app.get('/client/settings/privacy', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    return await renderPrivacy(request, reply, user)
  }))
}
