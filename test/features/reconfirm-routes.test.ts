// Every route declared re-confirmable refuses to act without a confirmation:
// the list comes from the routes the app registered, not from a hand list,
// so a route that loses its re-confirmation fails here.
import { sql } from 'kysely'
import t from 'tap'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const target = await createUser(ta, owner.accountId, 'target@example.com')

// What each form would carry if a person had filled it in.
const forms: Record<string, Record<string, string>> = {
  phone: { phone: '+79123456789', code: '123456' },
  'users.add': { email: 'new-one@example.com', full_name: 'New One', phone: '', password: '', access: 'chosen' },
  'users.edit': { email: 'changed@example.com', full_name: 'Changed Name', phone: '' },
  permissions: { action: 'enable', permission: 'users.view', on: '1' },
  'two-factor.enable': { code: '123456' }
}

async function state (): Promise<string> {
  const rows = await sql<{ s: string }>`select concat_ws('|',
    (select string_agg(concat_ws(',', id, email, full_name, status, phone, full_access, two_factor_enabled), ';' order by id) from users),
    (select string_agg(concat_ws(',', user_id, permission), ';' order by user_id, permission) from user_permissions),
    (select count(*) from recovery_codes), (select count(*) from tokens), (select count(*) from verification_codes)) as s`.execute(db)
  return rows.rows[0]!.s
}

// POSTs of the sensitive areas that are not behind the prompt, and why.
const notReconfirmed: Record<string, string> = {
  '/client/settings/two-factor/disable': 'asks for the password and a One-time password on its own form',
  '/client/settings/two-factor/recovery-codes.txt': 'only echoes the codes just shown, the user\'s own unused ones',
  '/client/users/:id/permissions/confirm': 'only shows the confirmation page of a change'
}

t.test('every POST of the sensitive areas is re-confirmed, or says why not', async (t) => {
  const sensitive = app.routeTable.filter((r) => r.method === 'POST' && /^\/client\/(users|profile\/phone|settings\/two-factor)/.test(r.url))
  t.ok(sensitive.length >= 12, `${sensitive.length} sensitive POST routes`)
  for (const r of sensitive) {
    t.ok(r.operation !== undefined || notReconfirmed[r.url] !== undefined, `${r.url}: ${r.operation ?? notReconfirmed[r.url]}`)
  }
})

t.test('each re-confirmed route answers with the prompt and changes nothing', async (t) => {
  const routes = app.routeTable.filter((r) => r.operation !== undefined)
  t.same([...new Set(routes.map((r) => r.operation))].sort(), ['permissions', 'phone', 'two-factor.enable', 'two-factor.recovery-codes', 'users.add', 'users.delete', 'users.disable', 'users.edit', 'users.enable'], 'every operation is declared on at least one route')
  t.ok(routes.every((r) => r.method === 'POST'), 'only POSTs are re-confirmed (GETs change nothing)')
  const a = await signIn(ta, owner.email, owner.password)
  a.autoConfirm = undefined // this test never confirms
  for (const route of routes) {
    const before = await state()
    await a.get(`${ta.base}client/profile`)
    const res = await a.post(route.url.replace(':id', target.userId), forms[route.operation ?? ''] ?? {})
    t.equal(res.statusCode, 200, `${route.method} ${route.url}: the prompt`)
    t.ok(Agent.isPrompt(res), `${route.url}: a re-confirmation prompt`)
    t.notMatch(res.body, /value="123456"/, `${route.url}: a code typed in the form is not carried`)
    t.equal(await state(), before, `${route.url}: nothing changed`)
  }
})

t.test('a forged proof field of the wrong kind does not pass either', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  a.autoConfirm = undefined
  const before = await state()
  const res = await a.post(`${ta.base}client/users/${target.userId}/disable`, { proof: 'not the password at all' })
  t.equal(res.statusCode, 422)
  t.ok(Agent.isPrompt(res))
  t.equal(await state(), before)
})
