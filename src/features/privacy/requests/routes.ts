import type { FastifyInstance } from 'fastify'
import type { PrivacyRequestKind } from '../../../db/schema.ts'
import { signedInHandler } from '../../../plugins/guards.ts'
import { onSelf, requireConfirmation, validating } from '../../two-factor/index.ts'
import { renderPrivacy } from '../view.ts'
import { createRequest, hasOpenRequest, KINDS } from './service.ts'

/** The operation each kind re-confirms (requestsPart.operations). */
export const requestOperation: Record<PrivacyRequestKind, string> = {
  deletion: 'privacy.request-deletion',
  restriction: 'privacy.request-restriction'
}

/** One route per kind: each is its own re-confirmed operation. */
export default async function requestsRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const page = `${deps.config.basePath}client/settings/privacy`
  for (const kind of KINDS) {
    // An open request of the kind gets the page again (422) before any prompt;
    // one made in parallel meanwhile is caught by the unique index below.
    const resolve = validating(onSelf(`${page}#requests`), async (request, reply, user) => {
      if (!await hasOpenRequest(deps.db, user.id, kind)) return undefined
      return await renderPrivacy(request, reply, user, { requests: { error: { kind, message: `privacy.requests.${kind}.alreadyOpen` } } }, 422)
    })
    app.post(`/client/settings/privacy/requests/${kind}`, { config: { access: 'user' }, preHandler: requireConfirmation(requestOperation[kind], resolve) }, signedInHandler(async (request, reply, user) => {
      const result = await createRequest(deps, user, kind, { ip: request.ip })
      if (!result.ok) return await renderPrivacy(request, reply, user, { requests: { error: { kind, message: `privacy.requests.${kind}.alreadyOpen` } } }, 422)
      request.session.flash = { type: 'success', text: `privacy.requests.${kind}.created` }
      return reply.redirect(page, 303)
    }))
  }
}
