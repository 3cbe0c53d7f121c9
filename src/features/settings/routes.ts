import type { FastifyInstance } from 'fastify'
import { signedInHandler } from '../../plugins/guards.ts'

export default async function settingsRoutes (app: FastifyInstance): Promise<void> {
  app.get('/client/settings', { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    const blocks = app.settingsBlocks.map((block) => {
      const on = block.status?.(user)
      return { title: block.title, about: block.about, path: block.path, on, action: block.action?.(user) ?? 'button.open' }
    })
    return reply.render('settings/index', { blocks })
  }))
}
