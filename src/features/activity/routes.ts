import type { FastifyInstance, FastifyRequest } from 'fastify'
import { formatDateTime } from '../../lib/format.ts'
import { activityCsv, activityTypes, type ActivityFilter, isActivityType, listActivity } from './service.ts'

type Query = { Querystring: { user?: string, type?: string, page?: string } }
const VIEW = { config: { access: { permission: 'activity.view' } } }

function filterOf (request: FastifyRequest<Query>): ActivityFilter {
  const { user, type } = request.query
  return {
    userId: typeof user === 'string' && /^\d{1,18}$/.test(user) ? user : undefined,
    type: isActivityType(type) ? type : undefined
  }
}

export default async function activityRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  app.nav.push({ menu: 'client', label: 'nav.activity', path: 'client/activity', permission: 'activity.view' })

  app.get<Query>('/client/activity', VIEW, async (request, reply) => {
    const actor = request.user!
    const filter = filterOf(request)
    const perPage = actor.rowsPerPage
    const page = Math.max(1, Math.min(10_000, Number.parseInt(request.query.page ?? '1', 10) || 1))
    const { rows, total } = await listActivity(deps.db, actor.accountId, filter, perPage, (page - 1) * perPage)
    const users = await deps.db.selectFrom('users').select(['id', 'email']).where('account_id', '=', actor.accountId).orderBy('email').execute()
    const query = new URLSearchParams()
    if (filter.userId !== undefined) query.set('user', filter.userId)
    if (filter.type !== undefined) query.set('type', filter.type)
    return reply.render('activity/index', {
      rows: rows.map((r) => ({ ...r, at: formatDateTime(r.at, request.lang, actor.timeZone), details: Object.entries(r.details).map(([k, v]) => `${k}: ${String(v)}`).join(', ') })),
      users,
      types: Object.keys(activityTypes),
      filter,
      page,
      pages: Math.max(1, Math.ceil(total / perPage)),
      query: query.toString(),
      timeZone: actor.timeZone
    })
  })

  app.get<Query>('/client/activity.csv', VIEW, async (request, reply) => {
    const csv = await activityCsv(deps.db, request.user!.accountId, filterOf(request))
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="account-activity.csv"')
      .send('\ufeff' + csv)
  })
}
