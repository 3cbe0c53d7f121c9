import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../types.ts'
import { formatDateTime } from '../../lib/format.ts'
import { pagerLinks, pageSize, parsePageRequest } from '../../lib/keyset.ts'
import { findAccountUserRef } from './queries.ts'
import { activityCsv, activityTypes, type ActivityFilter, isActivityType, listActivity } from './service.ts'

type Query = { Querystring: Record<string, unknown> }
const VIEW = { config: { access: { permission: 'activity.view' } } }

interface Filter {
  filter: ActivityFilter
  /** What the User field shows: the user's email, or the text typed when it names nobody in the account. */
  userText: string
  /** A user was asked for and is not in this account: nothing matches. */
  unknownUser: boolean
  /** The filters as they go into the pager and CSV links. */
  query: URLSearchParams
}

// ?user= is a user of the account by id or email (an index lookup either way); ?type= a key of activityTypes.
async function filterOf (deps: Deps, request: FastifyRequest<Query>): Promise<Filter> {
  const { user, type } = request.query
  const filter: ActivityFilter = { type: isActivityType(type) ? type : undefined }
  const query = new URLSearchParams()
  const text = typeof user === 'string' ? user.trim().slice(0, 254) : ''
  let unknownUser = false
  let userText = text
  if (text !== '') {
    const found = await findAccountUserRef(deps.db, request.user!.accountId, text)
    if (found === undefined) unknownUser = true
    else {
      filter.userId = found.id
      userText = found.email
      query.set('user', found.id)
    }
  }
  if (filter.type !== undefined) query.set('type', filter.type)
  return { filter, userText, unknownUser, query }
}

export default async function activityRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const path = `${deps.config.basePath}client/activity`
  app.nav.push({ menu: 'client', label: 'nav.activity', path: 'client/activity', permission: 'activity.view' })

  app.get<Query>('/client/activity', VIEW, async (request, reply) => {
    const actor = request.user!
    const f = await filterOf(deps, request)
    const page = f.unknownUser
      ? { rows: [], hasPrev: false, hasNext: false }
      : await listActivity(deps.db, actor.accountId, f.filter, parsePageRequest(request.query), pageSize(actor.rowsPerPage))
    const query = f.query.toString()
    return reply.render('activity/index', {
      rows: page.rows.map((r) => ({ ...r, at: formatDateTime(r.at, request.lang, actor.timeZone), details: Object.entries(r.details).map(([k, v]) => `${k}: ${String(v)}`).join(', ') })),
      types: Object.keys(activityTypes),
      filter: f.filter,
      userText: f.userText,
      unknownUser: f.unknownUser,
      pager: pagerLinks(path, f.query, page),
      csvHref: `${path}.csv${query === '' ? '' : '?' + query}`,
      timeZone: actor.timeZone
    })
  })

  app.get<Query>('/client/activity.csv', VIEW, async (request, reply) => {
    const f = await filterOf(deps, request)
    const rows = activityCsv(deps.db, request.user!.accountId, f.unknownUser ? null : f.filter)
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="account-activity.csv"')
      .send(Readable.from(rows))
  })
}
