// Every route that needs a permission, from the routes the app registered
// (app.routeTable, access {permission}), for each kind of user: anonymous is
// sent to the login page, a user lacking the permission gets 403 (before any
// re-confirmation prompt), a user holding it gets the route's own answer (a
// re-confirmed POST after the prompt, answered explicitly, or before it for
// bad input). A route added later with a permission is covered at once, and
// fails here until it has what it needs below: a value for each path
// parameter, and for a POST the form a holder posts with the answer expected.
import t, { type Test } from 'tap'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const target = await createUser(ta, owner.accountId, 'target@example.com')
const T = target.userId

async function withPermissions (email: string, permissions: string[]) {
  const u = await createUser(ta, owner.accountId, email)
  if (permissions.length > 0) await db.insertInto('user_permissions').values(permissions.map((permission) => ({ user_id: u.userId, permission }))).execute()
  return { ...u, permissions }
}
const none = await withPermissions('none@example.com', [])
const viewer = await withPermissions('viewer@example.com', ['users.view'])
const manager = await withPermissions('manager@example.com', ['users.view', 'users.manage'])
const auditor = await withPermissions('auditor@example.com', ['activity.view'])

// The signed-in kinds of user, what they hold (the owner holds everything) and their password for the prompt.
const users = {
  none: { ...none, agent: await signIn(ta, none.email, none.password) },
  viewer: { ...viewer, agent: await signIn(ta, viewer.email, viewer.password) },
  manager: { ...manager, agent: await signIn(ta, manager.email, manager.password) },
  auditor: { ...auditor, agent: await signIn(ta, auditor.email, auditor.password) },
  owner: { ...owner, permissions: ['*'], agent: await signIn(ta, owner.email, owner.password) }
}
const agents = Object.fromEntries(Object.entries(users).map(([who, u]) => [who, u.agent])) as Record<keyof typeof users, Agent>
const holds = (who: keyof typeof users, permission: string): boolean => who === 'owner' || users[who].permissions.includes(permission)

// Path parameters. :id is a fresh user of the owner's account for every
// request, holding no permission: every holder of Users: manage may act on it
// (targetFor refuses a user holding something the actor lacks), an action
// (disable, delete) touches no other request's user, and each re-confirmed
// POST is on a new target, so it is always prompted.
let made = 0
const params: Record<string, () => Promise<string>> = {
  id: async () => {
    made++
    const row = await db.insertInto('users').values({ account_id: owner.accountId, email: `matrix-${made}@example.com`, full_name: `Matrix ${made}` }).returning('id').executeTakeFirstOrThrow()
    return row.id
  }
}

// What a holder sends and gets, by `METHOD url`: every POST needs an entry
// (bodies that fail validation where the route validates, so that nothing
// changes: `invalid`, a re-confirmed route answers them before any prompt);
// GET and HEAD answer 200 unless listed (a HEAD takes its GET's entry).
const holderCase: Record<string, { query?: string, form?: Record<string, string>, ok: number, invalid?: true }> = {
  'GET /client/users/:id/full-access': { query: '?on=1', ok: 200 },
  'POST /client/users': { form: { email: '' }, ok: 422, invalid: true },
  'POST /client/users/:id': { form: { email: '' }, ok: 422, invalid: true },
  'POST /client/users/:id/enable': { form: {}, ok: 303 },
  'POST /client/users/:id/invitation': { form: {}, ok: 303 },
  'POST /client/users/:id/disable': { form: {}, ok: 303 },
  'POST /client/users/:id/delete': { form: {}, ok: 303 },
  'POST /client/users/:id/permissions/confirm': { form: { action: 'enable' }, ok: 422 },
  'POST /client/users/:id/permissions': { form: { action: 'enable' }, ok: 422, invalid: true },
  'POST /client/users/:id/full-access': { form: { on: 'x' }, ok: 422, invalid: true }
}

const guarded = app.routeTable.filter((r): r is typeof r & { access: { permission: string } } => typeof r.access === 'object')
// At least the routes guarded by a permission when this test was written.
const AT_LEAST = 26

t.test('the matrix is the app\'s routes that need a permission', async (t) => {
  t.ok(guarded.length >= AT_LEAST, `${guarded.length} routes need a permission (at least ${AT_LEAST})`)
  t.ok(guarded.every((r) => ['GET', 'HEAD', 'POST'].includes(r.method)), 'GET, HEAD and POST only: the matrix knows how to send them')
  const keys = new Set(guarded.map((r) => `${r.method} ${r.url}`))
  t.same(Object.keys(holderCase).filter((k) => !keys.has(k)), [], 'no entry for a route that does not exist')
})

// What each area asks for, as a rule over the routes (first match wins): a
// route of these areas that asks for less, or for no permission at all,
// fails here, while the matrix below checks that what is asked is enforced.
const areas: Array<{ match: RegExp, permission: string }> = [
  { match: /^(GET|HEAD) \/client\/users$/, permission: 'users.view' },
  { match: /^\w+ \/client\/users(\/|$)/, permission: 'users.manage' },
  { match: /^\w+ \/client\/activity(\.csv)?(\/|$)/, permission: 'activity.view' }
]

t.test('each area asks for its permission on every route', async (t) => {
  for (const r of app.routeTable) {
    const key = `${r.method} ${r.url}`
    const area = areas.find((a) => a.match.test(key))
    if (area !== undefined) t.same(r.access, { permission: area.permission }, key)
  }
  t.ok(areas.every((a) => app.routeTable.some((r) => a.match.test(`${r.method} ${r.url}`))), 'every area has routes')
})

/** The path with each parameter filled, or undefined (and a failure) when the matrix has no value for one. */
async function fill (t: Test, url: string): Promise<string | undefined> {
  let out = url
  for (const [, name = ''] of url.matchAll(/:(\w+)/g)) {
    const value = params[name]
    if (value === undefined) {
      t.fail(`${url}: no value for :${name}; add it to params`)
      return undefined
    }
    out = out.replace(`:${name}`, await value())
  }
  return out
}

/** Anonymous, with a valid CSRF token (so that the access rule, not the CSRF check, answers a POST). */
async function anonymous (method: string, url: string, form: Record<string, string>) {
  if (method !== 'POST') return await app.inject({ method: method as 'GET' | 'HEAD', url })
  const visitor = new Agent(app)
  await visitor.get(`${base}login`)
  const payload = new URLSearchParams({ ...form, _csrf: visitor.lastCsrf! }).toString()
  return await app.inject({ method: 'POST', url, payload, headers: { cookie: visitor.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' } })
}

for (const route of guarded) {
  const key = `${route.method} ${route.url}`
  const need = route.access.permission
  t.test(`${key} (${need}${route.operation === undefined ? '' : `, re-confirmed: ${route.operation}`})`, async (t) => {
    const entry = holderCase[key] ?? (route.method === 'POST' ? undefined : holderCase[`GET ${route.url}`] ?? { ok: 200 })
    if (entry === undefined) return t.fail(`${key}: add the form a holder posts and the answer expected to holderCase`)
    const form = entry.form ?? {}
    const send = async (agent: Agent, url: string, who: string) => {
      if (route.method === 'GET') return await agent.get(url)
      if (route.method === 'HEAD') return await app.inject({ method: 'HEAD', url, headers: { cookie: agent.cookieHeader } })
      if (route.operation === undefined) return await agent.post(url, form)
      // Re-confirmed: a holder meets the prompt and answers it (or, with bad input, gets the form again
      // before any prompt); anybody else is refused before it. reconfirm-routes.test.ts posts valid forms.
      if (!holds(who as keyof typeof users, need)) return await agent.postRefused(url, form)
      return entry.invalid === true ? await agent.postInvalid(url, form) : await agent.postConfirmed(url, form, users[who as keyof typeof users].password)
    }

    const anonUrl = await fill(t, route.url)
    if (anonUrl === undefined) return
    const anon = await anonymous(route.method, `${anonUrl}${entry.query ?? ''}`, form)
    t.equal(anon.statusCode, 303, 'anonymous: redirected')
    t.equal(anon.headers.location, route.method === 'GET' ? `${base}login?return_to=${encodeURIComponent(`${anonUrl}${entry.query ?? ''}`)}` : `${base}login`, 'anonymous: to the login page')

    for (const who of Object.keys(users) as Array<keyof typeof users>) {
      const url = await fill(t, route.url)
      if (url === undefined) return
      const res = await send(agents[who], `${url}${entry.query ?? ''}`, who)
      if (holds(who, need)) {
        t.equal(res.statusCode, entry.ok, `${who} holds ${need}`)
      } else {
        t.equal(res.statusCode, 403, `${who} lacks ${need}: 403`)
        t.notOk(Agent.isPrompt(res), `${who}: no re-confirmation prompt`)
      }
    }
  })
}

// The sidebar's menu (the phone menu behind the Menu button repeats it).
const sidebarOf = (html: string): string => html.match(/<nav class="sidebar"[\s\S]*?<\/nav>/)?.[0] ?? ''

t.test('the menu shows only what the user may use', async (t) => {
  const menu = async (who: keyof typeof agents) => {
    const body = sidebarOf((await agents[who].get(`${base}client/profile`)).body)
    return [...body.matchAll(/<li><a href="([^"]+)"/g)].map((m) => m[1])
  }
  t.same(await menu('none'), ['/client/profile', '/client/settings'])
  t.same(await menu('viewer'), ['/client/profile', '/client/settings', '/client/users'])
  t.same(await menu('manager'), ['/client/profile', '/client/settings', '/client/users', '/client/users/new'])
  t.same(await menu('auditor'), ['/client/profile', '/client/settings', '/client/activity'])
  t.same(await menu('owner'), ['/client/profile', '/client/settings', '/client/users', '/client/activity', '/client/users/new'])
})

t.test('the list offers actions only to managers', async (t) => {
  t.notMatch((await agents.viewer.get(`${base}client/users`)).body, '/edit"')
  t.match((await agents.manager.get(`${base}client/users`)).body, /\/client\/users\/\d+\/edit"/, 'edit links (the matrix\'s own users fill the first page)')
})

t.test('the menu marks one item as the current page: the closest one', async (t) => {
  const current = async (path: string) => [...sidebarOf((await agents.owner.get(`${base}${path}`)).body).matchAll(/<a href="([^"]+)" aria-current="page">/g)].map((m) => m[1])
  t.same(await current('client/users/new'), ['/client/users/new'])
  t.same(await current(`client/users/${T}/edit`), ['/client/users'])
  t.same(await current('client/profile/sessions'), ['/client/profile'])
})
