// Every route declared re-confirmable refuses to act without a confirmation:
// the list comes from the routes the app registered (app.routeTable), not
// from a hand list, so a route that loses its re-confirmation fails here,
// and so does a new POST of a signed-in user that nobody classified.
import { sql } from 'kysely'
import t from 'tap'

import * as OTPAuth from 'otpauth'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { writeServicesFile } from '../helpers/identity-provider.ts'

// Two external services (never contacted: the prompt comes before any flow starts); the owner has one bound, to unbind.
const servicesDir = mkdtempSync(path.join(tmpdir(), 'reconfirm-'))
const service = (id: string) => ({ id, name: id, issuer: `http://127.0.0.1:9/${id}`, clientId: 'panel', clientSecret: 'secret' })
const ta = await startTestApp(t, { env: { AUTH_PROVIDERS_FILE: writeServicesFile(servicesDir, [service('keycloak'), service('google')]) } })
const { app } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const target = await createUser(ta, owner.accountId, 'target@example.com')
await db.insertInto('external_identities').values({ user_id: owner.userId, service: 'google', issuer: 'http://127.0.0.1:9/google', subject: 'owner', display: null, bound_at: new Date() }).execute()

// What each operation's form would carry if a person had filled it in,
// valid, since bad input is answered before any prompt (every operation
// needs an entry, {} when its form has no fields; a function when the form
// depends on the page the agent was shown).
type FormFor = Record<string, string> | ((a: Agent) => Promise<Record<string, string>>)
const forms: Record<string, FormFor> = {
  phone: { phone: '+79123456789', code: '123456' },
  'users.add': { email: 'new-one@example.com', full_name: 'New One', phone: '', password: '', access: 'chosen' },
  'users.edit': { email: 'changed@example.com', full_name: 'Changed Name', phone: '' },
  'users.enable': {},
  'users.disable': {},
  'users.delete': {},
  permissions: { action: 'enable', permission: 'users.view', on: '1' },
  // The One-time password of the key on the setup page, as the app shows it now.
  'two-factor.enable': async (a) => {
    const key = (await a.get(`${ta.base}client/settings/two-factor`)).body.match(/<code id="totp-key">([^<]+)<\/code>/)![1]!.replace(/\s/g, '')
    return { code: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ta.clock.now().getTime() }) }
  },
  'two-factor.recovery-codes': {},
  // Main settings narrowing access (the list turned on): prompted; other saves are not.
  'settings.access': { language: 'en', time_zone: 'UTC', rows_per_page: '25', ip_access: 'list', ip_allow_list: '127.0.0.1', bind_session_ip: '1' },
  // Privacy: exports (the button: no fields)
  'privacy.export': {},
  // Requests for deletion and restriction of personal data: the button alone.
  'privacy.request-deletion': {},
  'privacy.request-restriction': {},
  // External authorization services: Bind (a service not bound yet) and Unbind (the bound one).
  'external-auth.bind': { intent: 'bind' },
  'external-auth.unbind': {}
}
// Path parameters of the re-confirmed routes.
const params: Record<string, string> = { id: target.userId, service: 'keycloak' }
// Parameters that differ by route.
const routeParams: Record<string, Record<string, string>> = { '/client/settings/external-auth/:service/unbind': { service: 'google' } }
// At least the routes re-confirmed when this test was written: a shorter list means some lost it.
const AT_LEAST = 15

async function state (): Promise<string> {
  const rows = await sql<{ s: string }>`select concat_ws('|',
    (select string_agg(concat_ws(',', id, email, full_name, status, phone, full_access, two_factor_enabled, language, time_zone, rows_per_page, ip_access, ip_allow_list, bind_session_ip), ';' order by id) from users),
    (select string_agg(concat_ws(',', user_id, permission), ';' order by user_id, permission) from user_permissions),
    (select count(*) from recovery_codes), (select count(*) from tokens), (select count(*) from verification_codes),
    (select count(*) from data_exports), (select count(*) from privacy_requests)) as s`.execute(db)
  return rows.rows[0]!.s
}

// POSTs of a signed-in user that are not behind the prompt, and why.
const notReconfirmed: Record<string, string> = {
  '/client/profile/name': 'the user\'s own name: nothing to take over with it',
  '/client/profile/password': 'asks for the current password (and a One-time password with 2FA) on its own form',
  '/client/profile/sessions/:id/end': 'only ends a session of the user\'s own',
  '/client/profile/sessions/end-others': 'only ends the user\'s other sessions',
  '/client/settings/two-factor/disable': 'asks for the password and a One-time password on its own form',
  '/client/settings/two-factor/recovery-codes.txt': 'only echoes the codes just shown, the user\'s own unused ones',
  '/client/users/:id/permissions/confirm': 'only shows the confirmation page of a change',
  '/client/users/:id/invitation': 'sends the invited user\'s own address a new link: the actor gets nothing from it, and it is limited per user',
  '/client/settings/privacy/accept': 'records the user\'s own acceptance of the documents in effect: nothing to take over with it',
  '/client/settings/privacy/decisions': 'records the user\'s own decision on a document; a required one cannot be withdrawn here',
  '/client/settings/telegram/link': 'only shows a one-time code to the signed-in user; the chat it links gets the notices the panel already shows the session',
  '/client/settings/telegram/support': 'the user\'s own switch for technical support in Telegram',
  '/client/settings/telegram/unlink': 'only removes the user\'s own chat, after its confirmation page',
  '/client/settings/notifications': 'the user\'s own choice of channels per type; security notices stay on whatever it says',
  '/client/settings/avatar': 'replaces the user\'s own picture: nothing to take over with it',
  '/client/settings/avatar/remove': 'removes the user\'s own picture: nothing to take over with it'
}

const reconfirmed = app.routeTable.filter((r) => r.operation !== undefined)

t.test('the re-confirmed routes are listed from the app and cover every operation', async (t) => {
  t.ok(reconfirmed.length >= AT_LEAST, `${reconfirmed.length} re-confirmed routes (at least ${AT_LEAST})`)
  t.same([...new Set(reconfirmed.map((r) => r.operation))].sort(), Object.keys(app.operations).sort(), 'every operation of the prompt is declared on at least one route')
  for (const op of Object.keys(app.operations)) t.ok(forms[op] !== undefined, `${op}: a form to post`)
  t.same(Object.keys(forms).filter((op) => !(op in app.operations)), [], 'no form for an operation that does not exist')
  t.ok(reconfirmed.every((r) => r.method === 'POST'), 'only POSTs are re-confirmed (GETs change nothing)')
})

t.test('every POST of a signed-in user is re-confirmed, or says why not', async (t) => {
  const posts = app.routeTable.filter((r) => r.method === 'POST' && r.access !== 'public')
  t.ok(posts.length >= AT_LEAST + Object.keys(notReconfirmed).length, `${posts.length} POST routes behind the login`)
  for (const r of posts) {
    const why = notReconfirmed[r.url]
    if (r.operation !== undefined) t.equal(why, undefined, `${r.url}: re-confirmed (${r.operation}), so not listed as an exception`)
    else t.ok(why !== undefined, `${r.url}: ${why ?? 'neither re-confirmed nor listed with a reason'}`)
  }
  for (const url of Object.keys(notReconfirmed)) t.ok(posts.some((r) => r.url === url), `${url}: an exception for a route that exists`)
})

t.test('each re-confirmed route answers with the prompt and changes nothing', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  for (const route of reconfirmed) {
    t.test(`${route.method} ${route.url} (${route.operation})`, async (t) => {
      const values = { ...params, ...routeParams[route.url] }
      const unknown = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!).filter((p) => values[p] === undefined)
      if (unknown.length > 0) return t.fail(`no value for :${unknown.join(', :')}: add it to params`)
      const url = route.url.replace(/:(\w+)/g, (_, p: string) => values[p]!)
      const before = await state()
      await a.get(`${ta.base}client/profile`)
      const form = forms[route.operation!] ?? {}
      const filled = typeof form === 'function' ? await form(a) : form
      // postPrompted throws, failing this route's test, when no prompt comes.
      const res = await a.postPrompted(url, filled)
      t.equal(res.statusCode, 200, 'the prompt')
      t.ok(Agent.isPrompt(res), 'a re-confirmation prompt')
      if (filled.code !== undefined) t.notMatch(res.body, `value="${filled.code}"`, 'a code typed in the form is not carried')
      t.equal(await state(), before, 'nothing changed')
    })
  }
})

// A form with bad input, by route: its messages come before any prompt.
const badForms: Record<string, Record<string, string>> = {
  '/client/profile/phone': { phone: 'not a phone' },
  '/client/profile/phone/verification/check': { code: '12' },
  '/client/profile/phone/edit/check': { code: 'abcdef' },
  '/client/users': { email: '', full_name: '', phone: '', password: '', access: 'chosen' },
  '/client/users/:id': { email: 'not an email', full_name: '', phone: '' },
  '/client/users/:id/permissions': { action: 'enable' },
  '/client/users/:id/full-access': { on: 'maybe' },
  '/client/settings/two-factor': { code: '12345' }
}

t.test('bad input gets its form again with the messages, before any prompt, and changes nothing', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  // A number not verified yet: the profile shows the code step, where a code's message goes.
  await db.updateTable('users').set({ phone: '+79123456700', phone_verified: false }).where('id', '=', owner.userId).execute()
  t.teardown(async () => { await db.updateTable('users').set({ phone: null }).where('id', '=', owner.userId).execute() })
  for (const [path, form] of Object.entries(badForms)) {
    t.ok(reconfirmed.some((r) => r.url === path), `${path}: a re-confirmed route`)
    const url = path.replace(/:(\w+)/g, (_, p: string) => params[p]!)
    const before = await state()
    await a.get(`${ta.base}client/settings/two-factor`)
    // postInvalid throws when the prompt comes instead.
    const res = await a.postInvalid(url, form)
    t.match(res.body, /<p class="error" id="e-\w+">|<p class="flash flash-error" role="alert">/, `${path}: a message beside the field (or above the list of permissions)`)
    t.equal(await state(), before, `${path}: nothing changed`)
  }
})

t.test('a forged proof field of the wrong kind does not pass either', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const before = await state()
  const res = await a.post(`${ta.base}client/users/${target.userId}/disable`, { proof: 'not the password at all' })
  t.equal(res.statusCode, 422)
  t.ok(Agent.isPrompt(res))
  t.equal(await state(), before)
})
