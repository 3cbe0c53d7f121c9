// The link a new address follows to confirm an email change made by a user
// manager. GET shows a button; only the POST changes anything.
import type { FastifyInstance } from 'fastify'
import { checkEmailLink, confirmEmailChange } from './email-change.ts'

export default async function emailRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  type Token = { Params: { token: string } }

  app.get<Token>('/email/confirm/:token', { config: { access: 'public' } }, async (request, reply) => {
    const email = await checkEmailLink(deps, request.params.token)
    if (email === undefined) return reply.render('auth/email-confirm', { invalid: true }, 404)
    return reply.render('auth/email-confirm', { email, token: request.params.token })
  })

  app.post<Token>('/email/confirm/:token', { config: { access: 'public' } }, async (request, reply) => {
    const result = await confirmEmailChange(deps, request.params.token, { ip: request.ip })
    if (!result.ok) return reply.render('auth/email-confirm', { invalid: true, taken: result.reason === 'email_taken' }, result.reason === 'email_taken' ? 409 : 404)
    request.session.flash = { type: 'success', text: 'email.confirmed' }
    return reply.redirect(`${deps.config.basePath}login`, 303)
  })
}
