// Every route of the Users and Activity pages, anonymously, with no
// permissions, with view only, with manage, and as the owner.
import t from 'tap'
import { createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const target = await createUser(ta, owner.accountId, 'target@example.com')
const T = target.userId

async function withPermissions (email: string, permissions: string[]) {
  const u = await createUser(ta, owner.accountId, email)
  if (permissions.length > 0) await db.insertInto('user_permissions').values(permissions.map((permission) => ({ user_id: u.userId, permission }))).execute()
  return u
}
const none = await withPermissions('none@example.com', [])
const viewer = await withPermissions('viewer@example.com', ['users.view'])
const manager = await withPermissions('manager@example.com', ['users.view', 'users.manage'])
const auditor = await withPermissions('auditor@example.com', ['activity.view'])

type Who = 'anonymous' | 'none' | 'viewer' | 'manager' | 'owner' | 'auditor'
// Expected status for each kind of user; POSTs are read-only checks here (bodies that change nothing valid).
const routes: Array<{ method: 'GET' | 'POST', path: string, form?: Record<string, string>, need: 'users.view' | 'users.manage' | 'activity.view', ok: number }> = [
  { method: 'GET', path: 'client/users', need: 'users.view', ok: 200 },
  { method: 'GET', path: 'client/users?page=2', need: 'users.view', ok: 200 },
  { method: 'GET', path: 'client/users/new', need: 'users.manage', ok: 200 },
  { method: 'POST', path: 'client/users', form: { email: '' }, need: 'users.manage', ok: 422 },
  { method: 'GET', path: `client/users/${T}/edit`, need: 'users.manage', ok: 200 },
  { method: 'POST', path: `client/users/${T}`, form: { email: '' }, need: 'users.manage', ok: 422 },
  { method: 'GET', path: `client/users/${T}/disable`, need: 'users.manage', ok: 200 },
  { method: 'GET', path: `client/users/${T}/delete`, need: 'users.manage', ok: 200 },
  { method: 'GET', path: `client/users/${T}/permissions`, need: 'users.manage', ok: 200 },
  { method: 'POST', path: `client/users/${T}/permissions/confirm`, form: { action: 'enable' }, need: 'users.manage', ok: 422 },
  { method: 'POST', path: `client/users/${T}/permissions`, form: { action: 'enable' }, need: 'users.manage', ok: 422 },
  { method: 'GET', path: `client/users/${T}/full-access?on=1`, need: 'users.manage', ok: 200 },
  { method: 'POST', path: `client/users/${T}/full-access`, form: { on: 'x' }, need: 'users.manage', ok: 422 },
  { method: 'GET', path: 'client/activity', need: 'activity.view', ok: 200 },
  { method: 'GET', path: 'client/activity.csv', need: 'activity.view', ok: 200 }
]
const holds: Record<Exclude<Who, 'anonymous'>, string[]> = {
  none: [], viewer: ['users.view'], manager: ['users.view', 'users.manage'], auditor: ['activity.view'], owner: ['users.view', 'users.manage', 'activity.view']
}

const agents = {
  none: await signIn(ta, none.email, none.password),
  viewer: await signIn(ta, viewer.email, viewer.password),
  manager: await signIn(ta, manager.email, manager.password),
  auditor: await signIn(ta, auditor.email, auditor.password),
  owner: await signIn(ta, owner.email, owner.password)
}

for (const route of routes) {
  t.test(`${route.method} /${route.path}`, async (t) => {
    const url = `${base}${route.path}`
    const anon = route.method === 'GET'
      ? await app.inject({ url })
      : await app.inject({ method: 'POST', url, payload: new URLSearchParams(route.form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(anon.statusCode, route.method === 'GET' ? 303 : 403, 'anonymous')
    for (const [who, agent] of Object.entries(agents) as Array<[Exclude<Who, 'anonymous'>, typeof agents.owner]>) {
      const res = route.method === 'GET' ? await agent.get(url) : await agent.post(url, route.form ?? {})
      t.equal(res.statusCode, holds[who].includes(route.need) ? route.ok : 403, who)
    }
  })
}

t.test('the menu shows only what the user may use', async (t) => {
  const menu = async (who: keyof typeof agents) => {
    const body = (await agents[who].get(`${base}client/profile`)).body
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
  t.match((await agents.manager.get(`${base}client/users`)).body, `/client/users/${T}/edit`)
})

t.test('the menu marks one item as the current page: the closest one', async (t) => {
  const current = async (path: string) => [...(await agents.owner.get(`${base}${path}`)).body.matchAll(/<a href="([^"]+)" aria-current="page">/g)].map((m) => m[1])
  t.same(await current('client/users/new'), ['/client/users/new'])
  t.same(await current(`client/users/${T}/edit`), ['/client/users'])
  t.same(await current('client/profile/sessions'), ['/client/profile'])
})
