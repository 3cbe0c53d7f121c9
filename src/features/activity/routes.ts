import { Readable } from 'node:stream'
import { signedInHandler } from '../../plugins/guards.ts'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { serviceNameOf } from '../../lib/auth-services.ts'
import { formatDateTime } from '../../lib/format.ts'
import { pagerLinks, pageSize, parsePageRequest } from '../../lib/keyset.ts'
import { activityCsv, activityTypes, type ActivityFilter, isActivityType, isFiltered, listActivity } from './service.ts'
import { eventSentence, permissionLabeler, type SentenceContext } from './sentences.ts'

type Query = { Querystring: Record<string, unknown> }
const VIEW = { config: { access: { permission: 'activity.view' } } }
const TYPES = Object.keys(activityTypes)

// ?user= is a user of the account by id or email (looked up in the page's own
// statement, off an index either way); ?type= a key of activityTypes.
function filterOf (request: FastifyRequest<Query>): ActivityFilter {
  const { user, type } = request.query
  const text = typeof user === 'string' ? user.trim().slice(0, 254) : ''
  return { user: text === '' ? undefined : text, type: isActivityType(type) ? type : undefined }
}

export default async function activityRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const path = `${deps.config.basePath}client/activity`
  // What a sentence needs, in the viewer's language.
  const sentenceContext = (request: FastifyRequest): SentenceContext => ({
    t: request.t,
    sentences: app.eventSentences,
    operations: app.operations,
    permissionLabel: permissionLabeler(deps.config.permissionCatalog, request.lang),
    serviceName: (id) => serviceNameOf(deps.config.authServices, id)
  })

  app.get<Query>('/client/activity', VIEW, signedInHandler(async (request, reply, actor) => {
    const filter = filterOf(request)
    const page = await listActivity(deps.pool, actor.accountId, filter, parsePageRequest(request.query), pageSize(actor.rowsPerPage))
    // The filters as they go into the pager and CSV links: the user by id once found.
    const query = new URLSearchParams()
    if (page.user != null) query.set('user', page.user.id)
    if (filter.type !== undefined) query.set('type', filter.type)
    const qs = query.toString()
    const ctx = sentenceContext(request)
    return reply.render('activity/index', {
      rows: page.rows.map((r) => ({
        id: r.id,
        at: formatDateTime(r.at, request.lang, actor.timeZone),
        sentence: eventSentence(r, ctx),
        ip: r.ip
      })),
      types: TYPES,
      filter: { type: filter.type },
      // An empty page of a filtered log: nothing matches, which is not an empty log.
      empty: isFiltered(filter) ? 'activity.noMatch' : 'activity.none',
      // What the User field shows: the user's email, or the text typed when it names nobody in the account.
      userText: page.user?.email ?? filter.user ?? '',
      unknownUser: page.user === null,
      pager: pagerLinks(path, query, page),
      csvHref: `${path}.csv${qs === '' ? '' : '?' + qs}`
    })
  }))

  app.get<Query>('/client/activity.csv', VIEW, signedInHandler(async (request, reply, user) => {
    const rows = activityCsv(deps.pool, user.accountId, filterOf(request), sentenceContext(request))
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="account-activity.csv"')
      .send(Readable.from(rows))
  }))
}
