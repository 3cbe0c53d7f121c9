// Requests for deletion and restriction of personal data (SPEC §4.3, issue
// 13), written as attacks where they apply: a request needs the user to
// re-confirm, only one of each kind is open at a time (also when raced),
// the provider's moves follow the statuses and happen once, a completed
// deletion leaves nothing of the user in any column of any table, a
// restriction makes the profile read-only, and nobody else sees a request.
import { sql } from 'kysely'
import t from 'tap'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { completeRequest, liftRequest, listRequests, rejectRequest, startRequest } from '../../src/features/privacy/requests/index.ts'
import { sealSecret } from '../../src/features/two-factor/otp.ts'
import { Agent, createOwner, createUser, flashOf, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmtp } from '../helpers/smtp.ts'
import { eventually } from '../helpers/wait.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
const { app, base } = ta
const db = app.deps.db
const deps = app.deps
const owner = await createOwner(ta, 'owner@example.com')
const page = `${base}client/settings/privacy`
const requestUrl = (kind: string): string => `${page}/requests/${kind}`

let made = 0
async function freshUser (accountId = owner.accountId, name = 'Uma User') {
  made++
  return await createUser(ta, accountId, `req-${made}@example.com`, 'a long enough passphrase', name)
}
const requestsOf = async (userId: string) =>
  await db.selectFrom('privacy_requests').selectAll().where('user_id', '=', userId).orderBy('id').execute()
const historyOf = async (requestId: string) =>
  await db.selectFrom('privacy_request_events').select(['status', 'by', 'reason']).where('request_id', '=', requestId).orderBy('id').execute()

t.test('a request is re-confirmed, recorded with its history, mailed in the user\'s language and zone, and the button gives way to a sentence', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ time_zone: 'Asia/Tokyo' }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password)
  const before = await a.get(page)
  t.match(before.body, 'Request deletion')
  t.match(before.body, 'Request restriction')
  t.match(before.body, 'You have made no requests.')

  const prompt = await a.postPrompted(requestUrl('deletion'), {})
  t.match(prompt.body, 'request the deletion of your personal data')
  t.same(await requestsOf(u.userId), [], 'nothing before the proof')
  const res = await a.confirm(prompt, u.password)
  t.equal(res.statusCode, 303)
  const after = await a.get(page)
  t.match(flashOf(after.body), 'Your request for deletion has been received. We have sent you an email.')
  t.match(after.body, 'Your request for deletion is open: the provider is handling it.')
  t.notMatch(after.body, `action="${requestUrl('deletion')}"`, 'no deletion button while it is open')
  t.match(after.body, `action="${requestUrl('restriction')}"`, 'the other kind still can be asked for')
  t.match(after.body, /Deletion of personal data[\s\S]*Received/)
  t.match(after.body, /<td[^>]*>Received<\/td>\s*<td[^>]*>[^<]+<\/td>\s*<td[^>]*>you<\/td>/, 'the history: received, by you')
  t.match(after.body, 'Japan', 'times are in the user\'s zone, named')

  const [row] = await requestsOf(u.userId)
  t.match(row, { kind: 'deletion', status: 'received', account_id: owner.accountId })
  t.same(await historyOf(row!.id), [{ status: 'received', by: 'user', reason: null }])
  const audit = await db.selectFrom('audit_log').select(['actor_user_id', 'target_user_id', 'details']).where('action', '=', 'privacy_request.created').where('actor_user_id', '=', u.userId).execute()
  t.same(audit, [{ actor_user_id: u.userId, target_user_id: u.userId, details: { kind: 'deletion' } }], 'the log has the kind, nothing more')

  const mail = await smtp.waitFor(u.email)
  t.match(mail.subject, 'Your request for the deletion of your personal data: Received')
  t.match(mail.text, /\(Asia\/Tokyo\)/, 'the time in the user\'s zone')
})

t.test('a second open request of the same kind: the page again with a message (422), no prompt, nothing changed', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  t.equal((await a.postConfirmed(requestUrl('restriction'), {}, u.password)).statusCode, 303)
  await a.get(page)
  const again = await a.postInvalid(requestUrl('restriction'), {})
  t.match(again.body, 'You already have an open request for restriction')
  t.equal((await requestsOf(u.userId)).length, 1)
  // Unknown kinds have no route; a forged token is refused before anything.
  t.equal((await a.post(`${page}/requests/everything`, {})).statusCode, 404)
  const forged = await a.postRefused(requestUrl('deletion'), { _csrf: 'forged-token' })
  t.equal(forged.statusCode, 403)
  t.equal((await requestsOf(u.userId)).length, 1, 'nothing made by the forged post')
})

t.test('parallel requests of one kind (the confirmation still live): exactly one is made, the others get the 422', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  t.equal((await a.postConfirmed(requestUrl('deletion'), {}, u.password)).statusCode, 303)
  const [first] = await requestsOf(u.userId)
  t.ok((await rejectRequest(deps, first!.id, 'Not now')).ok, 'the first one closed, so another may be asked for')
  await a.get(page)
  const answers = await Promise.all(Array.from({ length: 6 }, async () => await a.postStillConfirmed(requestUrl('deletion'), {})))
  t.same(answers.map((r) => r.statusCode).sort(), [303, 422, 422, 422, 422, 422])
  const open = (await requestsOf(u.userId)).filter((r) => r.status === 'received')
  t.equal(open.length, 1, 'one open request')
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'privacy_request.created').where('actor_user_id', '=', u.userId).execute()).length, 2, 'one event per request made')
})

t.test('the provider\'s moves follow the statuses, each mailed and shown by "provider"; wrong ones change nothing; parallel completes do one', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  await a.postConfirmed(requestUrl('restriction'), {}, u.password)
  const [row] = await requestsOf(u.userId)
  const id = row!.id

  t.match(await liftRequest(deps, id), { ok: false, reason: 'wrong_status', status: 'received' }, 'an open request cannot be lifted')
  t.match(await startRequest(deps, id), { ok: true, request: { id, status: 'in_progress', userId: u.userId, email: u.email, kind: 'restriction' } })
  t.match(await startRequest(deps, id), { ok: false, reason: 'wrong_status', status: 'in_progress' }, 'started once')
  const completes = await Promise.all(Array.from({ length: 5 }, async () => await completeRequest(deps, id)))
  t.equal(completes.filter((r) => r.ok).length, 1, 'one complete wins')
  t.ok(completes.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'wrong_status'))
  t.same((await historyOf(id)).map((h) => `${h.status}/${h.by}`), ['received/user', 'in_progress/provider', 'completed/provider'])
  t.match(await rejectRequest(deps, id, 'Too late'), { ok: false, reason: 'wrong_status', status: 'completed' })
  t.match(await completeRequest(deps, '999999'), { ok: false, reason: 'not_found' })
  t.match(await completeRequest(deps, 'abc'), { ok: false, reason: 'not_found' })
  const listed = await listRequests(deps, 'completed')
  t.ok(listed.ok && listed.requests.some((r) => r.id === id))
  t.match(await listRequests(deps, 'done'), { ok: false, reason: 'invalid_status' })

  const mails = await eventually('four mails (received, in progress, completed)', async () => smtp.messages.filter((m) => m.subject?.includes('restriction') === true && (m.to as { text: string }).text.includes(u.email)).length >= 3 ? true : undefined)
  t.ok(mails)
  const shown = await a.get(page)
  t.match(shown.body, /<td[^>]*>Completed<\/td>\s*<td[^>]*>[^<]+<\/td>\s*<td[^>]*>provider<\/td>/)
  t.equal((await db.selectFrom('users').select('restricted').where('id', '=', u.userId).executeTakeFirstOrThrow()).restricted, true)
  t.ok((await liftRequest(deps, id)).ok)
  t.equal((await db.selectFrom('users').select('restricted').where('id', '=', u.userId).executeTakeFirstOrThrow()).restricted, false)
  t.match(await liftRequest(deps, id), { ok: false, reason: 'wrong_status', status: 'lifted' })

  const other = await freshUser()
  const b = await signIn(ta, other.email, other.password)
  await b.get(page)
  await b.postConfirmed(requestUrl('deletion'), {}, other.password)
  const [del] = await requestsOf(other.userId)
  t.ok((await rejectRequest(deps, del!.id, 'Unpaid invoices')).ok)
  t.match(await liftRequest(deps, del!.id), { ok: false, reason: 'wrong_status', kind: 'deletion' }, 'a deletion is never lifted')
  t.match(await rejectRequest(deps, del!.id, '   '), { ok: false, reason: 'invalid_reason' })
  const rejected = await b.get(page)
  t.match(rejected.body, 'Rejected: Unpaid invoices')
  const mail = await smtp.waitFor(other.email, 2)
  t.match(mail.text, 'The reason: Unpaid invoices')
})

t.test('a restriction makes the name, phone and main settings forms refuse, the pages say so; lifting restores them', async (t) => {
  const u = await freshUser(owner.accountId, 'Rita Restricted')
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  await a.postConfirmed(requestUrl('restriction'), {}, u.password)
  const [row] = await requestsOf(u.userId)
  t.ok((await completeRequest(deps, row!.id)).ok)
  const stored = async () => await db.selectFrom('users').select(['full_name', 'phone', 'language', 'updated_at']).where('id', '=', u.userId).executeTakeFirstOrThrow()
  const was = await stored()

  const profile = await a.get(`${base}client/profile`)
  t.match(profile.body, 'Your personal data is restricted at your request')
  const name = await a.post(`${base}client/profile/name`, { full_name: 'Someone Else' })
  t.equal(name.statusCode, 303)
  t.equal(name.headers.location, `${base}client/profile`)
  t.match(flashOf((await a.get(`${base}client/profile`)).body), 'Your personal data is restricted')
  // The phone and settings routes re-confirm: the refusal comes before any prompt, proof or not.
  for (const [url, form, back] of [
    [`${base}client/profile/phone`, { phone: '+7 916 000-11-22' }, 'client/profile'],
    [`${base}client/profile/phone/verification`, {}, 'client/profile'],
    [`${base}client/settings`, { language: 'ru', time_zone: 'UTC', rows_per_page: '25', ip_access: 'any', ip_allow_list: '' }, 'client/settings']
  ] as const) {
    const res = await a.post(url, { ...form, proof: u.password })
    t.equal(res.statusCode, 303, url)
    t.equal(res.headers.location, `${base}${back}`, url)
    t.notOk(Agent.isPrompt(res))
  }
  const settings = await a.get(`${base}client/settings`)
  t.match(settings.body, 'Your personal data is restricted at your request')
  t.match(flashOf(settings.body), 'Your personal data is restricted')
  t.same(await stored(), was, 'nothing changed')

  t.ok((await liftRequest(deps, row!.id)).ok)
  await a.get(`${base}client/profile`)
  const renamed = await a.post(`${base}client/profile/name`, { full_name: 'Rita Free' })
  t.equal(renamed.statusCode, 303)
  t.equal((await stored()).full_name, 'Rita Free')
  t.notMatch((await a.get(`${base}client/profile`)).body, 'Your personal data is restricted')
})

t.test('users never see each other\'s requests: another user of the account, a user of another account', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  await a.postConfirmed(requestUrl('deletion'), {}, u.password)
  const colleague = await freshUser()
  const other = await createOwner(ta, 'other-owner@example.com')
  for (const { email, password } of [colleague, other]) {
    const b = await signIn(ta, email, password)
    const res = await b.get(page)
    t.match(res.body, 'You have made no requests.', email)
    t.notMatch(res.body, 'Your request for deletion is open', email)
    t.match(res.body, `action="${requestUrl('deletion')}"`, `${email} may ask for their own`)
  }
})

t.test('account activity says that a request was made and how it went, never its content', async (t) => {
  const u = await freshUser(owner.accountId, 'Alla Activity')
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  await a.postConfirmed(requestUrl('restriction'), {}, u.password)
  const [row] = await requestsOf(u.userId)
  await rejectRequest(deps, row!.id, 'Secret reason 8841')
  const o = await signIn(ta, owner.email, owner.password)
  const res = await o.get(`${base}client/activity`)
  t.match(res.body, 'requested the restriction of their personal data')
  t.match(res.body, /The provider set the request of [^<]*Alla Activity[^<]* for the restriction of their personal data to: rejected/)
  t.notMatch(res.body, 'Secret reason 8841')
})

t.test('the first user is not deleted while the account has other users; alone, they are', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(page)
  await a.postConfirmed(requestUrl('deletion'), {}, owner.password)
  const [row] = await requestsOf(owner.userId)
  t.match(await completeRequest(deps, row!.id), { ok: false, reason: 'owner_with_users' })
  t.match(await db.selectFrom('users').select(['email', 'status']).where('id', '=', owner.userId).executeTakeFirstOrThrow(), { email: owner.email, status: 'active' }, 'nothing changed')
  t.equal((await requestsOf(owner.userId))[0]!.status, 'received')

  const solo = await createOwner(ta, 'solo-owner@example.com')
  const s = await signIn(ta, solo.email, solo.password)
  await s.get(page)
  await s.postConfirmed(requestUrl('deletion'), {}, solo.password)
  const [soloRow] = await requestsOf(solo.userId)
  t.ok((await completeRequest(deps, soloRow!.id)).ok)
  t.match(await db.selectFrom('users').select(['email', 'full_name', 'status']).where('id', '=', solo.userId).executeTakeFirstOrThrow(), { email: `deleted-${solo.userId}@invalid`, full_name: 'Deleted user', status: 'disabled' })
})

t.test('a completed deletion leaves none of the user\'s email, name, phone or IP in any column of any table; the account\'s other users go on', async (t) => {
  const ip = '198.51.100.77'
  const name = 'Dmitri Deletable-Zhukov'
  const u = await freshUser(owner.accountId, name)
  const colleague = await freshUser(owner.accountId, 'Kira Colleague')
  const colleagueBefore = await db.selectFrom('users').select(['email', 'full_name', 'status', 'phone']).where('id', '=', colleague.userId).executeTakeFirstOrThrow()

  // A history: a failed and a good sign-in from the user's own IP, a second session, a phone, a reset link asked for.
  const wrong = new Agent(app)
  wrong.remoteAddress = ip
  await wrong.logIn(base, u.email, 'not the password at all')
  const a = new Agent(app, { 'user-agent': 'DeletableBrowser/1.0' })
  a.remoteAddress = ip
  t.equal((await a.logIn(base, u.email, u.password)).statusCode, 303)
  const second = new Agent(app)
  second.remoteAddress = ip
  await second.logIn(base, u.email, u.password)
  await a.get(`${base}client/profile`)
  t.equal((await a.postConfirmed(`${base}client/profile/phone`, { phone: '+7 916 555-44-33' }, u.password)).statusCode, 303)
  const { phone } = await db.selectFrom('users').select('phone').where('id', '=', u.userId).executeTakeFirstOrThrow()
  t.ok(phone !== null, 'a phone is set')
  const forgot = new Agent(app)
  forgot.remoteAddress = ip
  await forgot.get(`${base}password/forgot`)
  await forgot.post(`${base}password/forgot`, { email: u.email })
  await eventually('the reset link', async () => await db.selectFrom('tokens').select('id').where('user_id', '=', u.userId).where('purpose', '=', 'password_reset').executeTakeFirst())

  // The privacy feature's own rows: a consent given from the user's IP, an export mailed.
  t.match(await publishPolicy(deps, { document: 'email-news', version: 1, effectiveAt: new Date(Date.now() - 60_000).toISOString(), url: 'https://provider.example/news' }), { ok: true })
  await a.get(page)
  t.equal((await a.post(`${page}/decisions`, { document: 'email-news', version: '1', decision: 'accept' })).statusCode, 303)
  t.equal((await db.selectFrom('policy_decisions').select('ip').where('user_id', '=', u.userId).executeTakeFirstOrThrow()).ip, ip, 'the decision holds the IP')
  await a.get(page)
  t.equal((await a.postConfirmed(`${page}/export`, {}, u.password)).statusCode, 303)
  await eventually('the export mailed', async () => await db.selectFrom('data_exports').select('id').where('user_id', '=', u.userId).where('status', '=', 'sent').executeTakeFirst())

  await a.get(page)
  t.equal((await a.postConfirmed(requestUrl('deletion'), {}, u.password)).statusCode, 303)
  // 2FA, recovery codes, a pending email change and a message still queued, as the user may have when it completes.
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: sealSecret(deps, 'JBSWY3DPEHPK3PXP'), ip_allow_list: [ip] }).where('id', '=', u.userId).execute()
  await db.updateTable('users').set({ phone_verified: true }).where('id', '=', u.userId).execute()
  await db.insertInto('recovery_codes').values({ user_id: u.userId, code_hash: 'hash-of-a-code', created_at: new Date() }).execute()
  await db.insertInto('telegram_links').values({ user_id: u.userId, chat_id: '424242', username: 'dmitri_tg_handle', support: true, linked_at: new Date() }).execute()
  await db.insertInto('tokens').values({ id: 'telegram-link-code-hash', user_id: u.userId, purpose: 'telegram-link', created_at: new Date(), expires_at: new Date(Date.now() + 600_000), data: '{}' }).execute()
  await db.insertInto('tokens').values({ id: 'email-change-token-hash', user_id: u.userId, purpose: 'email_change', created_at: new Date(), expires_at: new Date(Date.now() + 3600_000), data: JSON.stringify({ email: 'dmitri.new@example.com', old: u.email }) }).execute()
  const [row] = await requestsOf(u.userId)
  // An avatar (its feature's erase step removes it).
  await db.insertInto('avatars').values({ user_id: u.userId, file: `${'d'.repeat(64)}.webp`, bytes: Buffer.from('pixels'), content_type: 'image/webp', created_at: new Date() }).execute()

  const done = await completeRequest(deps, row!.id)
  t.match(done, { ok: true, request: { status: 'completed', email: `deleted-${u.userId}@invalid` } })

  const user = await db.selectFrom('users').selectAll().where('id', '=', u.userId).executeTakeFirstOrThrow()
  t.match(user, { email: `deleted-${u.userId}@invalid`, full_name: 'Deleted user', phone: null, phone_verified: false, two_factor_enabled: false, totp_secret: null, status: 'disabled', password_hash: null })
  t.same(user.ip_allow_list, [])
  for (const table of ['sessions', 'recovery_codes', 'verification_codes', 'code_sends', 'tokens', 'telegram_links'] as const) {
    const left = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where user_id = ${u.userId}`.execute(db)
    t.equal(left.rows[0]!.n, 0, `${table}: none of the user's rows`)
  }
  t.equal(await db.selectFrom('avatars').select('file').where('user_id', '=', u.userId).executeTakeFirst(), undefined, 'avatars: the user\'s is gone')
  t.ok((await db.selectFrom('audit_log').select('id').where('actor_user_id', '=', u.userId).execute()).length > 3, 'the log keeps the user\'s events')
  const queued = await db.selectFrom('deliveries').select(['status', 'payload']).where('user_id', '=', u.userId).execute()
  t.ok(queued.every((d) => d.payload === null), 'no message to the user rests in the deliveries')

  // Every text, json and jsonb column of every table, the queue's too.
  const phoneDigits = phone!.replace(/\D/g, '')
  const needles = [u.email.toLowerCase(), name.toLowerCase(), phone!.toLowerCase(), phoneDigits, ip, 'deletablebrowser', 'dmitri.new@example.com', 'dmitri_tg_handle']
  const columns = await sql<{ table_schema: string, table_name: string, column_name: string }>`
    select c.table_schema, c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema in ('public', 'pgboss') and (c.data_type in ('text', 'json', 'jsonb', 'character varying') or c.data_type = 'ARRAY')`.execute(db)
  t.ok(columns.rows.length > 20, `${columns.rows.length} columns read`)
  const found: string[] = []
  for (const c of columns.rows) {
    const rows = await sql<{ v: string }>`select ${sql.ref(c.column_name)}::text as v from ${sql.table(`${c.table_schema}.${c.table_name}`)} where ${sql.ref(c.column_name)} is not null`.execute(db)
    for (const r of rows.rows) {
      const v = r.v.toLowerCase()
      for (const needle of needles) if (v.includes(needle)) found.push(`${c.table_schema}.${c.table_name}.${c.column_name} holds ${needle}`)
    }
  }
  t.same(found, [], 'nothing of the user is left')

  // The user cannot sign in and their sessions are gone; the last notice went to the address they had.
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'signed out')
  t.not((await new Agent(app).logIn(base, u.email, u.password)).statusCode, 303, 'the former address signs in no one')
  const notice = await eventually('the completion notice', async () => smtp.messages.find((m) => m.subject === 'Your request for the deletion of your personal data: Completed' && (m.to as { text: string }).text.includes(u.email)))
  t.ok(notice)
  // The account's other users are untouched and still sign in.
  t.same(await db.selectFrom('users').select(['email', 'full_name', 'status', 'phone']).where('id', '=', colleague.userId).executeTakeFirstOrThrow(), colleagueBefore)
  t.equal((await new Agent(app).logIn(base, colleague.email, colleague.password)).statusCode, 303)
  t.equal((await new Agent(app).logIn(base, owner.email, owner.password)).statusCode, 303)
})
