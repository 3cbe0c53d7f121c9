// Deny by default: every route declares who may use it, and the rule holds.
import Fastify from 'fastify'
import t from 'tap'
import { sessionless } from '../../src/app.ts'
import { Agent, createOwner, startTestApp } from '../helpers/app.ts'

// Routes of this test only, in the browser's scope as a feature's are.
const ta = await startTestApp(t, {
  build: {
    browserRoutes: async (app) => {
      app.get('/test/needs-users-view', { config: { access: { permission: 'users.view' } } }, async () => 'allowed')
      app.post('/test/needs-users-view', { config: { access: { permission: 'users.view' } } }, async () => 'changed')
      app.get('/test/api', { config: { access: { permission: 'users.view' }, kind: 'api' } }, async () => ({ ok: true }))
      app.post('/test/api', { config: { access: 'public', kind: 'api' } }, async () => ({ changed: true }))
    }
  }
})
const { app, base } = ta
const db = app.deps.db
// A guard a feature adds after the built-in ones: it sees only requests they let through.
const seenByLastGuard: string[] = []
app.guards.push({
  name: 'test-last',
  check: async (request, reply) => {
    if (!request.url.includes('/test/')) return undefined
    seenByLastGuard.push(`${request.method} ${request.url}`)
    return request.headers['x-test-refuse'] === '1' ? reply.code(451).send('refused by the last guard') : undefined
  }
})

const owner = await createOwner(ta)
const hash = (await db.selectFrom('users').select('password_hash').where('id', '=', owner.userId).executeTakeFirstOrThrow()).password_hash
async function addUser (email: string, opts: { permissions?: string[], fullAccess?: boolean } = {}) {
  const u = await db.insertInto('users').values({ account_id: owner.accountId, email, full_name: email, password_hash: hash, full_access: opts.fullAccess ?? false }).returning('id').executeTakeFirstOrThrow()
  for (const permission of opts.permissions ?? []) await db.insertInto('user_permissions').values({ user_id: u.id, permission }).execute()
  return u.id
}
await addUser('none@example.com')
const viewerId = await addUser('viewer@example.com', { permissions: ['users.view'] })
await addUser('full@example.com', { fullAccess: true })

async function as (email: string) {
  const a = new Agent(app)
  const res = await a.logIn(base, email, owner.password)
  if (res.statusCode !== 303) throw new Error(`login failed for ${email}`)
  await a.get(`${base}client/profile`)
  return a
}

t.test('a route without an access rule stops the app from starting', async (t) => {
  const other = await startTestApp(t)
  t.throws(() => other.app.get('/undeclared', async () => 'oops'), /route GET \/undeclared declares no access rule/)
})

t.test("a browser route with the provider's access stops the app from starting: no guard checks a bearer token there", async (t) => {
  await t.rejects(startTestApp(t, { build: { browserRoutes: async (a) => { a.get('/test/forged', { config: { access: 'provider', kind: 'api' } }, async () => ({ ok: true })) } } }),
    /browser route GET \/test\/forged cannot have the provider's access/)
})

t.test('anonymous: sent to the login page; POST changes nothing', async (t) => {
  const res = await app.inject({ url: `${base}test/needs-users-view` })
  t.equal(res.statusCode, 303)
  t.match(res.headers.location, /\/login\?return_to=/)
})

t.test('a user without the permission gets a plain 403 page', async (t) => {
  const a = await as('none@example.com')
  const res = await a.get(`${base}test/needs-users-view`)
  t.equal(res.statusCode, 403)
  t.match(res.body, 'You do not have permission to open this page.')
  const post = await a.post(`${base}test/needs-users-view`, {})
  t.equal(post.statusCode, 403)
  t.notMatch(post.body, 'changed')
})

t.test('the permission, Full access and the owner are let in', async (t) => {
  for (const email of ['viewer@example.com', 'full@example.com', owner.email]) {
    const a = await as(email)
    const res = await a.get(`${base}test/needs-users-view`)
    t.equal(res.statusCode, 200, email)
    t.equal(res.body, 'allowed')
  }
})

t.test('a permission taken away applies to the very next request', async (t) => {
  const a = await as('viewer@example.com')
  t.equal((await a.get(`${base}test/needs-users-view`)).statusCode, 200)
  await db.deleteFrom('user_permissions').where('user_id', '=', viewerId).execute()
  t.equal((await a.get(`${base}test/needs-users-view`)).statusCode, 403)
})

t.test("the user's language is used for the whole page", async (t) => {
  await db.updateTable('users').set({ language: 'ru' }).where('email', '=', 'none@example.com').execute()
  const a = await as('none@example.com')
  const res = await a.get(`${base}client/profile`)
  t.match(res.body, '<html lang="ru">')
  t.match(res.body, '<h1>Профиль</h1>')
  t.match(res.body, 'Выйти')
})

t.test('API routes answer JSON errors, take no CSRF token, and the guards run in order', async (t) => {
  seenByLastGuard.length = 0
  const anonymous = await app.inject({ url: `${base}test/api` })
  t.equal(anonymous.statusCode, 401, 'an API route does not redirect to the login page')
  t.same(anonymous.json(), { error: { code: 'unauthorized', message: 'Sign in first.' } })
  const a = await as('none@example.com')
  const forbidden = await a.get(`${base}test/api`)
  t.equal(forbidden.statusCode, 403)
  t.same(JSON.parse(forbidden.body), { error: { code: 'forbidden', message: 'You do not have permission to open this page.' } })
  t.same(seenByLastGuard, [], 'a later guard never sees what an earlier one refused')

  const posted = await app.inject({ method: 'POST', url: `${base}test/api`, payload: { x: 1 } })
  t.equal(posted.statusCode, 200, 'no CSRF token asked of an API route')
  const page = await app.inject({ method: 'POST', url: `${base}test/needs-users-view`, payload: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(page.statusCode, 403, 'a page POST without a token is refused')
  t.match(page.body, 'This form has expired')

  t.same(seenByLastGuard, [`POST ${base}test/api`], 'public routes pass every guard too')
  seenByLastGuard.length = 0
  const viewer = await as('full@example.com')
  t.equal((await viewer.get(`${base}test/needs-users-view`)).statusCode, 200)
  const refused = await app.inject({ url: `${base}test/needs-users-view`, headers: { cookie: viewer.cookieHeader, 'x-test-refuse': '1' } })
  t.equal(refused.statusCode, 451, 'a feature guard can stop a request after the permission check')
  t.equal(refused.body, 'refused by the last guard')
  t.same(seenByLastGuard, [`GET ${base}test/needs-users-view`, `GET ${base}test/needs-users-view`])
})

t.test('every route is listed with its access, kind and re-confirmed operation', async (t) => {
  const row = (method: string, url: string) => app.routeTable.find((r) => r.method === method && r.url === url)
  t.match(row('GET', `${base}test/api`), { access: { permission: 'users.view' }, kind: 'api', operation: undefined })
  t.match(row('POST', `${base}client/users/:id/delete`), { kind: 'page', operation: 'users.delete' })
  t.match(row('GET', `${base}client/settings`), { access: 'user', kind: 'page' })
})

t.test('a sessionless feature (the provider API, health checks) can only declare public or provider JSON routes', async (t) => {
  const refused = [{ access: 'user', kind: 'api' }, { access: { permission: 'users.view' }, kind: 'api' }, { access: 'public' }, { access: 'provider', kind: 'page' }, {}] as const
  for (const config of refused) {
    const bare = Fastify({ logger: false })
    await t.rejects(async () => {
      await bare.register(sessionless(async (a) => { a.get('/x', { config }, async () => ({})) }))
      await bare.ready()
    }, /sessionless route GET \/x must/, `refused: ${JSON.stringify(config)}`)
    await bare.close()
  }
  const bare = Fastify({ logger: false })
  await bare.register(sessionless(async (a) => { a.get('/x', { config: { access: 'provider', kind: 'api' } }, async () => ({ ok: true })) }))
  t.same((await bare.inject({ url: '/x' })).json(), { ok: true }, 'a provider JSON route is accepted')
  await bare.close()
})

t.test('sessionless routes get no session work; pages still do', async (t) => {
  const forged = { cookie: 'sid=s%3Aforged.signature' }
  const health = await app.inject({ url: `${base}healthz`, headers: forged })
  t.equal(health.statusCode, 200)
  t.notOk(health.headers['set-cookie'], 'the health check leaves the cookie alone')
  const page = await app.inject({ url: `${base}login`, headers: forged })
  t.match(page.headers['set-cookie'], /sid=;/, 'a page clears the unknown session cookie')
})
