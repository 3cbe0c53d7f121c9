// The provider API (SPEC §6): authentication and its limit, each operation's
// answer and audit entry (by the provider, with the client's IP), the error
// answers, paging, and the OpenAPI document read by a real parser.
import { validate } from '@readme/openapi-parser'
import t from 'tap'
import { WRONG_TOKEN_RULE } from '../../src/features/provider-api/auth.ts'
import { Agent, createOwner, createUser, grantPermissions, signIn, startTestApp } from '../helpers/app.ts'

const TOKEN = 'provider-api-token-for-the-tests-0123456789'
const IP = '198.51.100.7'
const ta = await startTestApp(t, { env: { PROVIDER_API_TOKEN: TOKEN } })
const { app, base } = ta
const db = app.deps.db
const API = `${base}provider-api/v1`
const owner = await createOwner(ta)

type Json = any
interface Call { method?: 'GET' | 'POST' | 'PATCH' | 'DELETE', body?: unknown, raw?: string, headers?: Record<string, string>, ip?: string, token?: string | null }
async function call (path: string, opts: Call = {}): Promise<{ status: number, json: Json, headers: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`
  let payload: string | undefined
  if (opts.raw !== undefined) payload = opts.raw
  else if (opts.body !== undefined) payload = JSON.stringify(opts.body)
  if (payload !== undefined) headers['content-type'] ??= 'application/json'
  const res = await app.inject({ method: opts.method ?? 'GET', url: `${API}${path}`, headers, payload, remoteAddress: opts.ip ?? IP })
  let json: Json
  try { json = res.json() } catch { json = res.body }
  return { status: res.statusCode, json, headers: res.headers }
}

async function lastEvent (type: string, target?: string): Promise<Json> {
  return await db.selectFrom('audit_log').select(['actor_user_id', 'target_user_id', 'ip', 'details', 'account_id'])
    .where('action', '=', type).$if(target !== undefined, (q) => q.where('target_user_id', '=', target!))
    .orderBy('id', 'desc').executeTakeFirst()
}
const errorShape = (code: string) => ({ error: { code, message: String } })

t.test('off when PROVIDER_API_TOKEN is unset: 404 everywhere, JSON', async (t) => {
  const off = await startTestApp(t)
  for (const [method, url] of [['GET', 'openapi.json'], ['GET', 'users'], ['GET', `users/${owner.userId}/permissions`], ['POST', 'accounts'], ['POST', 'users/1/reset-2fa'], ['GET', 'nothing']] as const) {
    const res = await off.app.inject({ method, url: `${off.base}provider-api/v1/${url}`, headers: { authorization: `Bearer ${TOKEN}` } })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.match(res.json(), errorShape('not_found'))
  }
  t.notOk(off.app.routeTable.some((r) => r.url.includes('provider-api')), 'no API route is registered')
})

t.test('authentication: missing, wrong, other schemes, a session cookie alone', async (t) => {
  const path = `/users/${owner.userId}`
  t.match(await call(path, { token: null }), { status: 401, json: errorShape('unauthorized'), headers: { 'www-authenticate': 'Bearer' } })
  t.match(await call(path, { token: `${TOKEN}x` }), { status: 401, json: errorShape('unauthorized') })
  t.match(await call(path, { token: TOKEN.slice(0, -1) }), { status: 401 })
  t.match(await call(path, { token: null, headers: { authorization: `Basic ${TOKEN}` } }), { status: 401 })
  t.match(await call(path, { token: null, headers: { authorization: TOKEN } }), { status: 401 })
  t.match(await call(path, { token: '' }), { status: 401 })
  const agent = await signIn(ta, owner.email, owner.password)
  const page = await agent.get(`${base}client/profile`)
  t.equal(page.statusCode, 200, 'the cookie is a live session')
  t.match(await call(path, { token: null, headers: { cookie: agent.cookieHeader } }), { status: 401, json: errorShape('unauthorized') }, 'a signed-in browser is not the provider')
  const ok = await call(path, { headers: { cookie: agent.cookieHeader } })
  t.equal(ok.status, 200, 'the token works with or without cookies')
  t.notOk(ok.headers['set-cookie'], 'no cookie is set by the API')
  t.match(ok.headers, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'content-security-policy': /default-src 'self'.*frame-ancestors 'none'/ }, 'the security headers JSON needs')
  t.notOk(ok.headers['cross-origin-opener-policy'], 'and not those for documents in a browser')
  const ended = await call(path, { headers: { cookie: 'sid=s%3Aforged.signature; csrf=forged' } })
  t.equal(ended.status, 200, 'a forged or ended session cookie changes nothing either')
  t.notOk(ended.headers['set-cookie'], 'and is not even cleared: no session work runs for the API')
  t.equal(ok.json.id, owner.userId)
  // Bearer scheme in any case, as RFC 7235 allows.
  t.equal((await call(path, { token: null, headers: { authorization: `bearer ${TOKEN}` } })).status, 200)
})

t.test('wrong tokens are limited per client IP, in parallel too', async (t) => {
  const attacker = '203.0.113.66'
  const tries = WRONG_TOKEN_RULE.limit + 10
  const answers = await Promise.all(Array.from({ length: tries }, async (_, i) => await call('/users', { ip: attacker, token: `guess-${i}` })))
  const statuses = answers.map((a) => a.status)
  t.equal(statuses.filter((s) => s === 401).length, WRONG_TOKEN_RULE.limit, 'exactly the limit get an answer to their guess')
  t.equal(statuses.filter((s) => s === 429).length, 10, 'the others are refused before the check')
  const refused = answers.find((a) => a.status === 429)!
  t.match(refused.json, errorShape('too_many_attempts'))
  t.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After says when')
  t.equal((await call('/users', { ip: attacker, token: null })).status, 429, 'a missing token counts the same')
  t.equal((await call('/users', { ip: '203.0.113.67', token: 'guess' })).status, 401, 'another address has its own count')
  t.equal((await call('/users?limit=1', { ip: attacker })).status, 200, 'the right token is still taken (no database round trip for it)')
  ta.clock.advance(WRONG_TOKEN_RULE.windowSeconds! + 1)
  t.equal((await call('/users', { ip: attacker, token: 'guess' })).status, 401, 'a new window after the old one ends')
})

t.test('POST /accounts: 201 with and without a password, audited with the IP', async (t) => {
  const a = await call('/accounts', { method: 'POST', body: { email: 'Api.Owner@Example.com', name: 'Api Owner', password: 'api owner passphrase' } })
  t.equal(a.status, 201)
  t.same(Object.keys(a.json).sort(), ['accountId', 'userId'])
  t.match(await lastEvent('account.created', a.json.userId), { actor_user_id: null, ip: IP, account_id: a.json.accountId, details: { by: 'provider' } })
  const b = await call('/accounts', { method: 'POST', body: { email: 'api.invited@example.com', name: 'Api Invited' } })
  t.equal(b.status, 201)
  t.match(b.json, { accountId: /^\d+$/, userId: /^\d+$/, inviteUrl: /^http:\/\/panel\.test\/password\/reset\/[A-Za-z0-9_-]{22}$/ })
  // Refusals by the rules: 422 with the code; nothing created.
  const before = (await db.selectFrom('users').select('id').execute()).length
  for (const [body, code] of [
    [{ email: 'not-an-email', name: 'X' }, 'invalid_email'],
    [{ email: 'x@example.com', name: '   ' }, 'invalid_name'],
    [{ email: 'x@example.com', name: 'X', password: 'short' }, 'weak_password'],
    [{ email: 'x@example.com', name: 'X', password: '1qaz2wsx3edc' }, 'weak_password'],
    [{ email: 'OWNER@example.com', name: 'X' }, 'email_taken']
  ] as const) {
    t.match(await call('/accounts', { method: 'POST', body }), { status: 422, json: errorShape(code) }, JSON.stringify(body))
  }
  t.equal((await db.selectFrom('users').select('id').execute()).length, before)
})

t.test('schema violations and bad JSON: 400, never a stack trace', async (t) => {
  const cases: Array<[string, Call, string]> = [
    ['/accounts', { method: 'POST', body: { email: 'x@example.com' } }, 'invalid_request'],
    ['/accounts', { method: 'POST', body: { email: 5, name: 'X' } }, 'invalid_request'],
    ['/accounts', { method: 'POST', body: { email: 'x@example.com', name: 'X', accountId: '1' } }, 'invalid_request'],
    ['/accounts', { method: 'POST', body: [1, 2] }, 'invalid_request'],
    ['/accounts', { method: 'POST', raw: '{"email": "x@example.com", "name": ' }, 'invalid_json'],
    ['/accounts', { method: 'POST', raw: '{"__proto__": {"x": 1}, "email": "a@b.c", "name": "X"}' }, 'invalid_json'],
    ['/accounts', { method: 'POST', raw: '' }, 'invalid_json'],
    [`/users/${owner.userId}`, { method: 'PATCH', body: { status: 'banned' } }, 'invalid_request'],
    [`/users/${owner.userId}`, { method: 'PATCH', body: { permissions: ['users.manage'] } }, 'invalid_request'],
    ['/users?limit=0', {}, 'invalid_request'],
    ['/users?limit=101', {}, 'invalid_request'],
    ['/users?limit=ten', {}, 'invalid_request'],
    ['/users?cursor=bm9wZQ', {}, 'invalid_cursor'],
    ['/requests?status=open', {}, 'invalid_request'],
    ['/policies', { method: 'POST', body: { document: 'privacy-policy', version: '2', effectiveAt: '2026-01-01T00:00:00Z', url: 'https://example.com/p' } }, 'invalid_request']
  ]
  for (const [path, opts, code] of cases) {
    const res = await call(path, opts)
    t.match(res, { status: 400, json: errorShape(code) }, `${opts.method ?? 'GET'} ${path} ${opts.raw ?? JSON.stringify(opts.body ?? '')}`)
    t.notMatch(JSON.stringify(res.json), /at .*\.ts|stack/i, 'no stack trace')
  }
  const form = await call('/accounts', { method: 'POST', raw: 'email=x%40example.com&name=X', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.match(form, { status: 415, json: errorShape('unsupported_media_type') }, 'JSON only: no forms')
  t.match(await call('/no/such/path'), { status: 404, json: errorShape('not_found') })
  t.match(await call('/no/such/path', { method: 'POST', body: {} }), { status: 404, json: errorShape('not_found') })
})

t.test('GET /users/{id}, ?email=, and ids of no user', async (t) => {
  await db.updateTable('users').set({ phone: '+79123456789', phone_verified: true, last_login_at: new Date('2026-01-02T03:04:05Z') }).where('id', '=', owner.userId).execute()
  const expected = {
    id: owner.userId, accountId: owner.accountId, email: 'owner@example.com', name: 'Olga Owner', phone: '+79123456789',
    phoneVerified: true, status: 'active', owner: true, twoFactor: false, lastLoginAt: '2026-01-02T03:04:05.000Z'
  }
  t.same((await call(`/users/${owner.userId}`)).json, expected)
  t.same((await call(`/users?email=${encodeURIComponent(' OWNER@Example.com')}`)).json, { users: [expected], next: null })
  t.same((await call('/users?email=nobody@example.com')).json, { users: [], next: null })
  for (const id of ['999999999', 'abc', '12abc', '-1', '99999999999999999999', "1' or '1'='1"]) {
    const p = encodeURIComponent(id)
    t.match(await call(`/users/${p}`), { status: 404, json: errorShape('not_found') }, `GET ${id}`)
    t.match(await call(`/users/${p}`, { method: 'PATCH', body: { name: 'X' } }), { status: 404 }, `PATCH ${id}`)
    t.match(await call(`/users/${p}`, { method: 'DELETE' }), { status: 404 }, `DELETE ${id}`)
    t.match(await call(`/users/${p}/remove-phone`, { method: 'POST' }), { status: 404 }, `remove-phone ${id}`)
    t.match(await call(`/users/${p}/reset-2fa`, { method: 'POST' }), { status: 404 }, `reset-2fa ${id}`)
    t.match(await call(`/users/${p}/clear-ip-list`, { method: 'POST' }), { status: 404 }, `clear-ip-list ${id}`)
    t.match(await call(`/users/${p}/permissions`), { status: 404 }, `permissions ${id}`)
  }
})

t.test('paging: keyset with an opaque cursor across pages', async (t) => {
  const r = await call('/accounts', { method: 'POST', body: { email: 'pager@example.com', name: 'Pager', password: 'pager owner passphrase' } })
  for (let i = 0; i < 6; i++) await createUser(ta, r.json.accountId, `paged${i}@example.com`)
  const all = await db.selectFrom('users').select('id').orderBy('id').execute()
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res: Json = await call(`/users?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`)
    t.equal(res.status, 200)
    t.ok(res.json.users.length <= 3)
    seen.push(...res.json.users.map((u: Json) => u.id))
    cursor = res.json.next
    if (cursor !== null) t.notMatch(cursor, /^\d+$/, 'the cursor is not a bare id')
    pages++
  } while (cursor !== null && pages < 50)
  t.same(seen, all.map((u) => u.id), 'every user once, in order')
  t.ok(pages >= 3)
  t.match(await call(`/requests?cursor=${Buffer.from(`u:${all[0]!.id}`).toString('base64url')}`), { status: 400, json: errorShape('invalid_cursor') }, 'a cursor of another list')
})

t.test('PATCH, remove-phone, reset-2fa, permissions, DELETE: shapes and audit entries with the IP', async (t) => {
  const acc = await call('/accounts', { method: 'POST', body: { email: 'patch.owner@example.com', name: 'Patch Owner', password: 'patch owner passphrase' } })
  const member = await createUser(ta, acc.json.accountId, 'member@example.com')
  await grantPermissions(ta, member.userId, 'users.view', 'finance.view')
  const ip = '192.0.2.10'
  const p = await call(`/users/${acc.json.userId}`, { method: 'PATCH', ip, body: { email: 'Patched@Example.com', name: 'Patched Name', status: 'disabled' } })
  t.equal(p.status, 200)
  t.match(p.json, { id: acc.json.userId, email: 'patched@example.com', name: 'Patched Name', status: 'disabled', owner: true })
  for (const type of ['user.email_changed', 'user.updated', 'user.disabled']) {
    t.match(await lastEvent(type, acc.json.userId), { actor_user_id: null, ip, details: { by: 'provider' } }, type)
  }
  t.match(await call(`/users/${acc.json.userId}`, { method: 'PATCH', body: { email: 'member@example.com' } }), { status: 422, json: errorShape('email_taken') })
  t.match(await call(`/users/${acc.json.userId}`, { method: 'PATCH', body: { email: 'nope' } }), { status: 422, json: errorShape('invalid_email') })
  t.equal((await call(`/users/${acc.json.userId}`, { method: 'PATCH', body: { status: 'active' } })).json.status, 'active')

  await db.updateTable('users').set({ phone: '+79120000000', phone_verified: true }).where('id', '=', member.userId).execute()
  t.same((await call(`/users/${member.userId}/remove-phone`, { method: 'POST', ip })).json, { userId: member.userId, phone: null })
  t.match(await lastEvent('phone.removed_by_provider', member.userId), { actor_user_id: null, ip })
  t.equal((await db.selectFrom('users').select('phone').where('id', '=', member.userId).executeTakeFirstOrThrow()).phone, null)

  await db.updateTable('users').set({ two_factor_enabled: true }).where('id', '=', member.userId).execute()
  t.same((await call(`/users/${member.userId}/reset-2fa`, { method: 'POST', ip })).json, { userId: member.userId, twoFactor: false })
  t.match(await lastEvent('totp.reset_by_provider', member.userId), { actor_user_id: null, ip })
  const notices = (await db.selectFrom('deliveries').select('type').where('user_id', '=', member.userId).execute()).map((d) => d.type)
  t.ok(notices.includes('totp_reset') && !notices.includes('totp_disabled'), 'the user gets the provider\'s reset notice, not "you turned it off from <IP>"')

  await db.updateTable('users').set({ ip_access: 'list', ip_allow_list: ['10.0.0.0/8'] }).where('id', '=', member.userId).execute()
  t.same((await call(`/users/${member.userId}/clear-ip-list`, { method: 'POST', ip })).json, { userId: member.userId, ipAccess: 'any', ipAllowList: [] })
  t.match(await lastEvent('ip_list.cleared_by_provider', member.userId), { actor_user_id: null, ip })
  t.match(await db.selectFrom('users').select(['ip_access', 'ip_allow_list']).where('id', '=', member.userId).executeTakeFirstOrThrow(), { ip_access: 'any', ip_allow_list: [] })

  t.same((await call(`/users/${member.userId}/permissions`)).json, { fullAccess: false, permissions: ['finance.view', 'users.view'] })
  const ownerPerms = (await call(`/users/${acc.json.userId}/permissions`)).json
  t.equal(ownerPerms.fullAccess, true)
  t.ok(ownerPerms.permissions.includes('users.manage'), 'the first user holds every permission')

  t.same((await call(`/users/${acc.json.userId}`, { method: 'DELETE', ip })).json, { userId: acc.json.userId, deleted: true })
  t.match(await lastEvent('user.deleted'), { actor_user_id: null, ip, account_id: acc.json.accountId })
  t.equal((await call(`/users/${acc.json.userId}`)).status, 404, 'gone')
  t.equal((await call(`/users/${member.userId}`)).status, 200, 'the account\'s other users stay')
})

t.test('requests: list by status with paging, start, complete, reject; 404, 409, 422', async (t) => {
  const acc = await call('/accounts', { method: 'POST', body: { email: 'req.owner@example.com', name: 'Req Owner', password: 'req owner passphrase' } })
  const now = new Date()
  const ids: string[] = []
  for (const kind of ['restriction', 'deletion'] as const) {
    const u = await createUser(ta, acc.json.accountId, `req-${kind}@example.com`)
    const row = await db.insertInto('privacy_requests').values({ account_id: acc.json.accountId, user_id: u.userId, kind, status: 'received', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()
    await db.insertInto('privacy_request_events').values({ request_id: row.id, status: 'received', by: 'user', at: now }).execute()
    ids.push(row.id)
  }
  const [restriction, deletion] = ids as [string, string]
  const first = await call('/requests?status=received&limit=1')
  t.equal(first.status, 200)
  t.equal(first.json.requests.length, 1)
  t.match(first.json.requests[0], { id: restriction, kind: 'restriction', status: 'received', email: 'req-restriction@example.com', reason: null })
  const second = await call(`/requests?status=received&limit=1&cursor=${first.json.next}`)
  t.same(second.json.requests.map((r: Json) => r.id), [deletion])
  t.equal(second.json.next, null)

  const ip = '192.0.2.20'
  t.match(await call(`/requests/${restriction}/start`, { method: 'POST', ip }), { status: 200, json: { id: restriction, status: 'in_progress' } })
  t.match(await lastEvent('privacy_request.updated'), { actor_user_id: null, ip, details: { status: 'in_progress' } })
  t.match(await call(`/requests/${restriction}/start`, { method: 'POST' }), { status: 409, json: errorShape('wrong_status') })
  t.match(await call(`/requests/${restriction}/complete`, { method: 'POST', ip }), { status: 200, json: { status: 'completed' } })
  t.match(await call(`/requests/${restriction}/lift`, { method: 'POST', ip }), { status: 200, json: { status: 'lifted' } })
  t.match(await call(`/requests/${deletion}/lift`, { method: 'POST' }), { status: 409, json: errorShape('wrong_status') }, 'only a completed restriction is lifted')
  t.match(await call(`/requests/${deletion}/reject`, { method: 'POST', body: { reason: '   ' } }), { status: 422, json: errorShape('invalid_reason') })
  t.match(await call(`/requests/${deletion}/reject`, { method: 'POST', body: {} }), { status: 400 })
  t.match(await call(`/requests/${deletion}/reject`, { method: 'POST', ip, body: { reason: 'We need an invoice first' } }), { status: 200, json: { status: 'rejected', reason: 'We need an invoice first' } })
  t.match(await lastEvent('privacy_request.updated'), { ip, details: { status: 'rejected' } })
  t.match(await call('/requests/999999/start', { method: 'POST' }), { status: 404, json: errorShape('not_found') })
  t.match(await call('/requests/abc/complete', { method: 'POST' }), { status: 404 })
})

t.test('POST /policies: 201, 409 for a version not higher, 422 by the rules', async (t) => {
  const body = { document: 'sms-news', version: 3, effectiveAt: '2026-01-01T00:00:00Z', text: { en: 'News by SMS', ru: 'Новости по SMS' }, changes: { en: 'First', ru: 'Первая' } }
  t.same((await call('/policies', { method: 'POST', body })).json, { document: 'sms-news', version: 3, effectiveAt: '2026-01-01T00:00:00.000Z', required: false })
  t.match(await lastEvent('policy.published'), { actor_user_id: null, account_id: null, ip: IP, details: { document: 'sms-news', version: 3, by: 'provider' } }, 'audited as the provider, with its IP')
  const published = (await db.selectFrom('audit_log').select('id').where('action', '=', 'policy.published').execute()).length
  t.match(await call('/policies', { method: 'POST', body }), { status: 409, json: errorShape('version_not_higher') })
  t.match(await call('/policies', { method: 'POST', body: { ...body, version: 4, document: 'cookies' } }), { status: 422, json: errorShape('unknown_document') })
  t.match(await call('/policies', { method: 'POST', body: { ...body, version: 4, effectiveAt: '2026-02-30T00:00:00Z' } }), { status: 422, json: errorShape('invalid_date') })
  t.match(await call('/policies', { method: 'POST', body: { document: 'sms-news', version: 4, effectiveAt: '2026-01-01T00:00:00Z' } }), { status: 422, json: errorShape('no_content') })
  t.match(await call('/policies', { method: 'POST', body: { ...body, version: 4, text: { en: 'x' } } }), { status: 400 }, 'both languages')
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'policy.published').execute()).length, published, 'a refused version records nothing')
})

t.test('POST /notifications: 202 with the channels; 404, 422', async (t) => {
  const res = await call('/notifications', { method: 'POST', body: { userId: owner.userId, type: 'billing', subject: 'Invoice', text: 'Your invoice is ready.' } })
  t.match(res, { status: 202, json: { userId: owner.userId, type: 'billing', channels: ['mail'] } })
  t.match(await lastEvent('notification.sent', owner.userId), { actor_user_id: null, account_id: owner.accountId, ip: IP, details: { type: 'billing', channels: 'mail', by: 'provider' } }, 'audited as the provider, with its IP')
  t.match(await call('/notifications', { method: 'POST', body: { userId: '999999', type: 'billing', subject: 'S', text: 'T' } }), { status: 404, json: errorShape('not_found') })
  t.match(await call('/notifications', { method: 'POST', body: { userId: owner.userId, type: 'nope', subject: 'S', text: 'T' } }), { status: 422, json: errorShape('unknown_type') })
  t.match(await call('/notifications', { method: 'POST', body: { userId: owner.userId, type: 'billing', subject: 'a\nb', text: 'T' } }), { status: 422, json: errorShape('invalid_subject') })
})

t.test('POST /sso: 201 with a link that signs the user in once, audited with the IP; 404, 409, 422', async (t) => {
  const user = await createUser(ta, owner.accountId, 'sso-api@example.com')
  const res = await call('/sso', { method: 'POST', body: { userId: user.userId, returnTo: '/client/settings' } })
  t.equal(res.status, 201)
  t.match(res.json, { url: /^http:\/\/panel\.test\/sso\?token=[A-Za-z0-9_-]{22}$/, expiresAt: String })
  t.match(await lastEvent('sso.link_created', user.userId), { actor_user_id: null, ip: IP })
  const browser = new Agent(app)
  const path = `${base}sso${new URL(res.json.url).search}`
  const page = await browser.get(path)
  t.equal(page.statusCode, 200, 'the page with its one button')
  const form = { token: page.body.match(/name="token" value="([^"]+)"/)?.[1] ?? null }
  const done = await browser.post(`${base}sso`, form)
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, `${base}client/settings`, 'to returnTo')
  t.equal((await browser.get(`${base}client/profile`)).statusCode, 200, 'signed in')
  t.not((await new Agent(app).post(`${base}sso`, form)).statusCode, 303, 'the link works once')
  t.match(await call('/sso', { method: 'POST', body: { userId: '999999' } }), { status: 404, json: errorShape('not_found') })
  t.match(await call('/sso', { method: 'POST', body: { userId: user.userId, returnTo: 'https://evil.example/' } }), { status: 422, json: errorShape('invalid_return_to') })
  t.equal((await call(`/users/${user.userId}`, { method: 'PATCH', body: { status: 'disabled' } })).status, 200)
  t.match(await call('/sso', { method: 'POST', body: { userId: user.userId } }), { status: 409, json: errorShape('user_disabled') })
})

t.test('POST /sso: the body is checked before the link is made', async (t) => {
  t.match(await call('/sso', { method: 'POST', body: { returnTo: '/client/profile' } }), { status: 400, json: errorShape('invalid_request') })
  t.match(await call('/sso', { method: 'POST', body: { userId: owner.userId, extra: 1 } }), { status: 400 })
})

t.test('the OpenAPI document: valid, the API\'s routes only, with their schemas', async (t) => {
  const res = await call('/openapi.json', { token: null })
  t.equal(res.status, 200)
  const doc = res.json
  const result = await validate(structuredClone(doc))
  t.ok(result.valid, JSON.stringify(result))
  t.equal(doc.openapi, '3.1.0')
  t.same(doc.servers, [{ url: 'http://panel.test/provider-api/v1' }])
  t.same(Object.keys(doc.paths).sort(), [
    '/accounts', '/notifications', '/policies', '/requests', '/requests/{id}/complete', '/requests/{id}/lift', '/requests/{id}/reject', '/requests/{id}/start',
    '/sso', '/users', '/users/{id}', '/users/{id}/clear-ip-list', '/users/{id}/permissions', '/users/{id}/remove-phone', '/users/{id}/reset-2fa'
  ])
  t.same(Object.keys(doc.paths['/users/{id}']).sort(), ['delete', 'get', 'patch'])
  t.match(doc.paths['/accounts'].post.requestBody.content['application/json'].schema, { required: ['email', 'name'], additionalProperties: false })
  t.ok(doc.paths['/users/{id}/permissions'].get.responses['200'], 'answers are described')
  t.match(doc.components.securitySchemes, { bearer: { type: 'http', scheme: 'bearer' } })
})
