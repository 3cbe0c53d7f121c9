import { sql } from 'kysely'
import t from 'tap'
import { Agent, createOwner, createUser, fieldError, flashOf, grantPermissions, signIn, startTestApp } from '../helpers/app.ts'
import { linkIn, TestSmtp } from '../helpers/smtp.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://panel.test' } })
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const other = await createOwner(ta, 'other-owner@example.com', 'other owner passphrase', 'Otto Other')
const U = `${base}client/users`
const row = async (id: string) => await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
const perms = async (id: string) => (await db.selectFrom('user_permissions').select('permission').where('user_id', '=', id).orderBy('permission').execute()).map((r) => r.permission)
const grant = async (userId: string, ...permissions: string[]): Promise<void> => { await grantPermissions(ta, userId, ...permissions) }
const LINK = /http:\/\/panel\.test\/[^\s]+/

t.test('add a user with an invitation: the link sets the password once', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/new`)
  const res = await a.postConfirmed(U, { email: 'Invitee@Example.com', full_name: 'Ivy Invitee', phone: '', password: '', access: 'chosen', permission: ['users.view', 'finance.view'] }, owner.password)
  t.equal(res.statusCode, 303)
  t.match(flashOf((await a.get(U)).body), 'an invitation has been sent')
  const user = await db.selectFrom('users').selectAll().where('email', '=', 'invitee@example.com').executeTakeFirstOrThrow()
  t.equal(user.account_id, owner.accountId)
  t.equal(user.password_hash, null)
  t.same(await perms(user.id), ['finance.view', 'users.view'])
  const mail = await smtp.waitFor('invitee@example.com')
  t.match(mail.subject, 'Olga Owner invited you')
  const path = linkIn(mail, LINK).replace('http://panel.test', '')
  const b = new Agent(app)
  t.match((await b.get(path)).body, 'Set your password')
  t.equal((await b.post(path, { password: 'invitee passphrase ok', password_repeat: 'invitee passphrase ok' })).statusCode, 303)
  t.equal((await new Agent(app).get(path)).statusCode, 404, 'single use')
  t.equal((await new Agent(app).logIn(base, 'invitee@example.com', 'invitee passphrase ok')).statusCode, 303)
})

t.test('add a user with a password: active at once, told by email', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/new`)
  // The new user's password is not carried by the prompt: postConfirmed types it again there.
  t.equal((await a.postConfirmed(U, { email: 'direct@example.com', full_name: 'Dora Direct', password: 'direct user passphrase', access: 'full' }, owner.password)).statusCode, 303)
  const user = await db.selectFrom('users').selectAll().where('email', '=', 'direct@example.com').executeTakeFirstOrThrow()
  t.equal(user.full_access, true)
  t.equal((await smtp.waitFor('direct@example.com')).subject, 'Your user at Client area')
  t.equal((await new Agent(app).logIn(base, 'direct@example.com', 'direct user passphrase')).statusCode, 303)
})

t.test('add: an empty or invalid form gets its messages before any prompt, and nothing is created', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/new`)
  const count = async () => (await db.selectFrom('users').select('id').execute()).length
  const n = await count()
  // postInvalid throws when the prompt comes instead of the form.
  const empty = await a.postInvalid(U, { email: '', full_name: '', phone: '', password: '', access: 'chosen' })
  t.equal(empty.statusCode, 422)
  t.notOk(Agent.isPrompt(empty), 'no prompt')
  t.equal(fieldError(empty.body, 'email'), 'Fill in this field.')
  t.equal(fieldError(empty.body, 'full_name'), 'Fill in this field.')
  t.match(empty.body, 'name="email"', 'the Add user form again')
  const bad = await a.postInvalid(U, { email: 'not an email', full_name: 'Ann', phone: '12', password: 'short', access: 'chosen', permission: 'users.view' })
  t.ok(fieldError(bad.body, 'email'))
  t.ok(fieldError(bad.body, 'phone'))
  t.equal(fieldError(bad.body, 'password'), 'Use at least 12 characters.')
  t.match(bad.body, 'value="Ann"', 'values kept')
  t.notMatch(bad.body, 'value="short"', 'no password echoed')
  t.equal((await a.postInvalid(U, { email: 'x9@example.com', full_name: 'X Nine', access: 'chosen', is_owner: 'true' })).statusCode, 422, 'a field the form does not own')
  t.equal(await count(), n, 'nothing created')
  // A confirmation was never asked for, so none is live: a valid form is prompted.
  const prompt = await a.postPrompted(U, { email: 'valid-one@example.com', full_name: 'Valid One', phone: '', password: '', access: 'chosen' })
  t.ok(Agent.isPrompt(prompt))
  t.match(prompt.body, 'add the user valid-one@example.com')
  t.equal(await count(), n, 'nothing created before the confirmation')
  const res = await a.confirm(prompt, owner.password)
  t.equal(res.statusCode, 303)
  t.equal(await count(), n + 1, 'created once confirmed')
})

t.test('edit and permissions: bad input gets its page before any prompt', async (t) => {
  const u = await createUser(ta, owner.accountId, 'edit-bad@example.com', 'a long enough passphrase', 'Bea Bad')
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/${u.userId}/edit`)
  const edit = await a.postInvalid(`${U}/${u.userId}`, { email: '', full_name: 'Bea Changed', phone: 'call me' })
  t.equal(fieldError(edit.body, 'email'), 'Fill in this field.')
  t.ok(fieldError(edit.body, 'phone'))
  t.match(edit.body, 'value="Bea Changed"', 'values kept')
  t.equal((await row(u.userId))!.full_name, 'Bea Bad')
  // Existence and access still come first: another account's user is a 404, not a 422.
  const foreign = await createUser(ta, other.accountId, 'edit-foreign@example.com')
  t.equal((await a.postRefused(`${U}/${foreign.userId}`, { email: '' })).statusCode, 404)
  await a.get(`${U}/${u.userId}/permissions`)
  for (const form of [{ action: 'enable' }, { action: 'launch', permission: 'users.view' }, { action: 'enable', permission: 'nope.nope' }] as Array<Record<string, string>>) {
    t.equal((await a.postInvalid(`${U}/${u.userId}/permissions`, form)).statusCode, 422, JSON.stringify(form))
  }
  t.equal((await a.postInvalid(`${U}/${u.userId}/full-access`, { on: 'maybe' })).statusCode, 422)
  t.same(await perms(u.userId), [])
  t.equal((await row(u.userId))!.full_access, false)
})

t.test('after a confirmation the page says what happened and that it will not ask again for a while', async (t) => {
  const u = await createUser(ta, owner.accountId, 'notice@example.com')
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/${u.userId}/disable`)
  const res = await a.postConfirmed(`${U}/${u.userId}/disable`, {}, owner.password)
  t.equal(res.statusCode, 303)
  const page = (await a.get(res.headers.location as string)).body
  t.match(flashOf(page), 'The user has been disabled and signed out.', 'the operation\'s own message')
  t.match(page, /<span class="flash-note">You confirmed it is you: for the next 5 minutes this operation will not ask for it again.<\/span>/, 'and the note, in the same message')
  t.notMatch((await a.get(U)).body, 'flash-note', 'shown once')
  // Still confirmed: no prompt, so no note either.
  await a.get(`${U}/${u.userId}/disable`)
  t.equal((await a.postStillConfirmed(`${U}/${u.userId}/disable`, {})).statusCode, 303)
  t.notMatch((await a.get(U)).body, 'flash-note', 'no note without a new confirmation')
  // In Russian.
  await db.updateTable('users').set({ language: 'ru' }).where('id', '=', owner.userId).execute()
  t.teardown(async () => { await db.updateTable('users').set({ language: 'en' }).where('id', '=', owner.userId).execute() })
  await a.get(U)
  const enabled = await a.postConfirmed(`${U}/${u.userId}/enable`, {}, owner.password)
  t.match((await a.get(enabled.headers.location as string)).body, 'следующие 5 мин. эта операция не будет запрашивать подтверждение снова')
})

t.test('add: a taken email and a foreign field change nothing', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/new`)
  const count = async () => (await db.selectFrom('users').select('id').execute()).length
  const n = await count()
  // An address of this account's own users (another account's is answered as a success: users-privileges.test.ts).
  const taken = await a.postConfirmed(U, { email: owner.email.toUpperCase(), full_name: 'Copy Cat', access: 'chosen' }, owner.password)
  t.equal(taken.statusCode, 422)
  t.equal(fieldError(taken.body, 'email'), 'This email is already used by another user.')
  t.match(taken.body, 'value="Copy Cat"', 'values kept')
  // Confirmed for adding users a moment ago: the next tries are not prompted.
  const unknown = await a.postStillConfirmed(U, { email: 'u1@example.com', full_name: 'U One', access: 'chosen', permission: 'nuclear.launch' })
  t.equal(unknown.statusCode, 422)
  const foreign = await a.postStillConfirmed(U, { email: 'u2@example.com', full_name: 'U Two', access: 'chosen', account_id: other.accountId })
  t.equal(foreign.statusCode, 422)
  t.match(foreign.body, 'a field it does not accept')
  t.equal(await count(), n)
})

t.test('nobody grants what they do not hold', async (t) => {
  const m = await createUser(ta, owner.accountId, 'manager@example.com')
  await grant(m.userId, 'users.view', 'users.manage')
  const a = await signIn(ta, m.email, m.password)
  await a.get(`${U}/new`)
  // What is granted is checked after the prompt: the prompt comes, the grant is refused.
  t.equal((await a.postConfirmed(U, { email: 'x1@example.com', full_name: 'X One', access: 'chosen', permission: 'finance.pay' }, m.password)).statusCode, 403)
  t.equal((await a.postStillConfirmed(U, { email: 'x2@example.com', full_name: 'X Two', access: 'full' })).statusCode, 403)
  t.equal((await db.selectFrom('users').select('id').where('email', 'in', ['x1@example.com', 'x2@example.com']).execute()).length, 0)
  const target = await createUser(ta, owner.accountId, 'target@example.com')
  await a.get(`${U}/${target.userId}/permissions`)
  t.equal((await a.postConfirmed(`${U}/${target.userId}/permissions`, { action: 'enable', permission: 'finance.pay' }, m.password)).statusCode, 403)
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/permissions`, { action: 'enable', permission: 'users.view' })).statusCode, 303, 'what they hold they may give')
  t.same(await perms(target.userId), ['users.view'])
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/full-access`, { on: '1' })).statusCode, 403, 'Full access is one more permission change of that user: confirmed already, refused')
  t.equal((await a.postRefused(`${U}/${m.userId}/permissions`, { action: 'enable', permission: 'users.view' })).statusCode, 403, 'not their own, refused before any prompt')
})

t.test('permissions: confirm page, enable, disable, Full access first removed; applies to the next request', async (t) => {
  const target = await createUser(ta, owner.accountId, 'perm@example.com')
  const tb = await signIn(ta, target.email, target.password)
  t.equal((await tb.get(U)).statusCode, 403)
  t.notMatch((await tb.get(`${base}client/profile`)).body, 'href="/client/users"', 'no Users in the menu')
  const a = await signIn(ta, owner.email, owner.password)
  const page = await a.get(`${U}/${target.userId}/permissions`)
  t.match(page.body, 'Finance')
  const confirm = await a.post(`${U}/${target.userId}/permissions/confirm`, { action: 'enable', permission: ['users.view', 'activity.view'] })
  t.equal(confirm.statusCode, 200)
  t.match(confirm.body, 'Enable these permissions?')
  t.same(await perms(target.userId), [], 'nothing until confirmed')
  t.equal((await a.postConfirmed(`${U}/${target.userId}/permissions`, { action: 'enable', permission: ['users.view', 'activity.view'] }, owner.password)).statusCode, 303)
  t.same(await perms(target.userId), ['activity.view', 'users.view'])
  t.equal((await tb.get(U)).statusCode, 200, 'the very next request has it')
  t.match((await tb.get(`${base}client/profile`)).body, 'href="/client/users"')
  await a.get(`${U}/${target.userId}/permissions`)
  const mixed = await a.post(`${U}/${target.userId}/permissions/confirm`, { action: 'enable', permission: ['users.view', 'finance.view'] })
  t.match(mixed.body, '<li>Finance: View</li>', 'the confirmation lists what changes')
  t.notMatch(mixed.body, '<li>Users: View</li>', 'and leaves out a permission already on')
  const none = await a.post(`${U}/${target.userId}/permissions/confirm`, { action: 'enable', permission: 'users.view' })
  t.equal(none.statusCode, 422)
  t.match(none.body, 'already on: nothing to enable')
  await a.get(`${U}/${target.userId}/permissions`)
  // One confirmation covers this user's permissions (both forms) for CONFIRM_SECONDS: no prompt from here on.
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/permissions`, { action: 'disable', permission: 'users.view' })).statusCode, 303)
  t.equal((await tb.get(U)).statusCode, 403)
  for (const form of [{ action: 'enable' }, { action: 'launch', permission: 'users.view' }, { action: 'enable', permission: 'nope.nope' }] as Array<Record<string, string>>) {
    t.equal((await a.postStillConfirmed(`${U}/${target.userId}/permissions`, form)).statusCode, 422, JSON.stringify(form))
  }
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/full-access`, { on: '1' })).statusCode, 303)
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/permissions`, { action: 'disable', permission: 'activity.view' })).statusCode, 422, 'a Full access user is not restricted')
  t.equal((await tb.get(U)).statusCode, 200, 'full access')
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/full-access`, { on: '0' })).statusCode, 303)
  t.equal((await a.postStillConfirmed(`${U}/${target.userId}/permissions`, { action: 'disable', permission: 'activity.view' })).statusCode, 303)
  t.same(await perms(target.userId), [])
})

t.test('the first user and yourself are untouchable; other accounts are 404', async (t) => {
  const m = await createUser(ta, owner.accountId, 'fulladmin@example.com')
  await db.updateTable('users').set({ full_access: true }).where('id', '=', m.userId).execute()
  const a = await signIn(ta, m.email, m.password)
  const foreign = await createUser(ta, other.accountId, 'foreign@example.com')
  for (const [id, status] of [[owner.userId, 403], [m.userId, 403], [foreign.userId, 404], ['999999', 404], ['abc', 404]] as const) {
    for (const path of ['edit', 'permissions', 'disable', 'delete']) t.equal((await a.get(`${U}/${id}/${path}`)).statusCode, status, `GET ${path} ${id}`)
    await a.get(U)
    // Refused before any prompt: access and existence come first.
    t.equal((await a.postRefused(`${U}/${id}/disable`, {})).statusCode, status, `disable ${id}`)
    t.equal((await a.postRefused(`${U}/${id}/delete`, {})).statusCode, status, `delete ${id}`)
    t.equal((await a.postRefused(`${U}/${id}`, { email: 'z@example.com', full_name: 'Z' })).statusCode, status, `edit ${id}`)
    t.equal((await a.postRefused(`${U}/${id}/permissions`, { action: 'disable', permission: 'users.view' })).statusCode, status, `permissions ${id}`)
  }
  t.equal((await row(owner.userId))!.status, 'active')
  t.equal((await row(foreign.userId))!.full_name, 'Uma User')
  t.notMatch((await a.get(U)).body, 'foreign@example.com', 'the list shows only this account')
})

t.test('disable ends the sessions at once and login answers like a wrong password; enable; delete', async (t) => {
  const u = await createUser(ta, owner.accountId, 'disable-me@example.com')
  const ub = await signIn(ta, u.email, u.password)
  const a = await signIn(ta, owner.email, owner.password)
  const confirm = await a.get(`${U}/${u.userId}/disable`)
  t.match(confirm.body, 'Disable the user?')
  t.equal((await ub.get(`${base}client/profile`)).statusCode, 200, 'the confirmation page changes nothing')
  t.equal((await a.postConfirmed(`${U}/${u.userId}/disable`, {}, owner.password)).statusCode, 303)
  t.equal((await ub.get(`${base}client/profile`)).statusCode, 303, 'signed out')
  const login = await new Agent(app).logIn(base, u.email, u.password)
  t.equal(login.statusCode, 422)
  t.match(login.body, 'Wrong email or password.')
  await a.get(U)
  t.equal((await a.postConfirmed(`${U}/${u.userId}/enable`, {}, owner.password)).statusCode, 303, 'another operation: prompted again')
  t.equal((await new Agent(app).logIn(base, u.email, u.password)).statusCode, 303)
  await a.get(`${U}/${u.userId}/delete`)
  t.equal((await a.postConfirmed(`${U}/${u.userId}/delete`, {}, owner.password)).statusCode, 303)
  t.equal(await row(u.userId), undefined)
  const audit = await db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'user.deleted').execute()
  t.match(audit.at(-1)!.details, { email: 'disable-me@example.com' })
})

t.test('edit: name and phone at once; a new email only after the new address confirms', async (t) => {
  const u = await createUser(ta, owner.accountId, 'old-address@example.com', 'a long enough passphrase', 'Eddie Edit')
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/${u.userId}/edit`)
  const foreign = await a.postInvalid(`${U}/${u.userId}`, { email: 'old-address@example.com', full_name: 'Eddie Edited', is_owner: 'true' })
  t.equal(foreign.statusCode, 422, 'is_owner is not this form\'s field: refused before any prompt')
  t.equal((await row(u.userId))!.full_name, 'Eddie Edit')
  const res = await a.postConfirmed(`${U}/${u.userId}`, { email: 'new-address@example.com', full_name: 'Eddie Edited', phone: '+49 1512 3456789' }, owner.password)
  t.equal(res.statusCode, 303)
  const r = (await row(u.userId))!
  t.equal(r.full_name, 'Eddie Edited')
  t.equal(r.phone, '+4915123456789')
  t.equal(r.phone_verified, false)
  t.equal(r.email, 'old-address@example.com', 'not yet')
  const notice = await smtp.waitFor('old-address@example.com')
  t.match(notice.text, 'new-address@example.com')
  const mail = await smtp.waitFor('new-address@example.com')
  const path = linkIn(mail, LINK).replace('http://panel.test', '')
  const b = new Agent(app)
  const page = await b.get(path)
  t.equal(page.statusCode, 200)
  t.equal((await row(u.userId))!.email, 'old-address@example.com', 'GET changes nothing')
  t.equal((await b.post(path, {})).statusCode, 303)
  t.equal((await row(u.userId))!.email, 'new-address@example.com')
  t.equal((await new Agent(app).get(path)).statusCode, 404, 'single use')
  t.equal((await new Agent(app).logIn(base, 'new-address@example.com', u.password)).statusCode, 303)
  await a.get(`${U}/${u.userId}/edit`)
  const taken = await a.postStillConfirmed(`${U}/${u.userId}`, { email: owner.email, full_name: 'Eddie Edited' })
  t.equal(taken.statusCode, 422)
  t.equal(fieldError(taken.body, 'email'), 'This email is already used by another user.')
})

// Keyset paging (?after / ?before / ?last): the rows of each page and the links between them.
const emailsOn = (html: string) => [...html.matchAll(/<tr>\s*<td[^>]*>([^<\s]+)/g)].map((m) => m[1]!)
const linkOn = (html: string, rel: string) => html.match(new RegExp(`<a href="([^"]+)" rel="${rel}">`))?.[1]?.replaceAll('&amp;', '&')
const listOrder = async (accountId: string) => (await db.selectFrom('users').select('email').where('account_id', '=', accountId)
  .orderBy(sql`not is_owner`).orderBy(sql`lower(email)`).execute()).map((r) => r.email)

t.test('the list is paged by Rows per page and marks the owner', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 10 }).where('id', '=', owner.userId).execute()
  for (let i = 0; i < 12; i++) await createUser(ta, owner.accountId, `many${String(i).padStart(2, '0')}@example.com`)
  const a = await signIn(ta, owner.email, owner.password)
  const first = await a.get(U)
  t.equal(emailsOn(first.body).length, 10)
  t.match(first.body, /owner@example.com <span class="badges"><span class="badge">Account owner<\/span>/)
  t.equal(linkOn(first.body, 'prev'), undefined, 'no Previous on the first page')
  t.equal(linkOn(first.body, 'first'), undefined)
  t.match(linkOn(first.body, 'next'), /client\/users\?after=\d+$/)
  t.equal(linkOn(first.body, 'last'), `${U}?last=1`)
  await db.updateTable('users').set({ rows_per_page: 4 }).where('id', '=', owner.userId).execute()
  t.equal(emailsOn((await a.get(U)).body).length, 4, 'the next request follows a changed Rows per page')
})

t.test('keyset paging: Next to the end, Last, Previous back to the start', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 5 }).where('id', '=', owner.userId).execute()
  const a = await signIn(ta, owner.email, owner.password)
  const all = await listOrder(owner.accountId)
  t.ok(all.length > 15, `enough users (${all.length})`)
  t.equal(all[0], owner.email, 'owner first')
  const seen: string[] = []
  let url: string | undefined = U
  for (let i = 0; url !== undefined && i < 100; i++) {
    const page = await a.get(url)
    t.equal(page.statusCode, 200)
    seen.push(...emailsOn(page.body))
    url = linkOn(page.body, 'next')
  }
  t.same(seen, all, 'Next walks every user once, in order')

  const last = await a.get(`${U}?last=1`)
  t.same(emailsOn(last.body), all.slice(-5), 'the last page is the last Rows per page users')
  t.equal(linkOn(last.body, 'next'), undefined)
  t.equal(linkOn(last.body, 'first'), U)
  const back: string[][] = []
  url = `${U}?last=1`
  for (let i = 0; url !== undefined && i < 100; i++) {
    const page = await a.get(url)
    back.unshift(emailsOn(page.body))
    url = linkOn(page.body, 'prev')
  }
  t.same(back[0], all.slice(0, 5), 'Previous ends on a full first page')
  t.same([...new Set(back.flat())], all, 'Previous walks back over every user')
  const middle = await a.get(`${U}?before=${(await db.selectFrom('users').select('id').where('email', '=', all[8]!).executeTakeFirstOrThrow()).id}`)
  t.same(emailsOn(middle.body), all.slice(3, 8), 'before=<id> is the rows just before it')
  t.ok(linkOn(middle.body, 'next') !== undefined && linkOn(middle.body, 'prev') !== undefined)
})

t.test('a bad or foreign cursor is the first page, never an error or another account\'s users', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 5 }).where('id', '=', owner.userId).execute()
  for (let i = 0; i < 6; i++) await createUser(ta, other.accountId, `foreign${i}@example.com`)
  const a = await signIn(ta, owner.email, owner.password)
  const firstPage = emailsOn((await a.get(U)).body)
  const foreignIds = (await db.selectFrom('users').select('id').where('account_id', '=', other.accountId).execute()).map((r) => r.id)
  for (const q of ['after=abc', 'after=0', 'after=-1', 'after=01', 'after=1e3', 'after=99999999999999999999', 'before=', 'last=2', 'last=',
    'after=1&before=2', 'after=1&after=2', 'last=1&after=1', 'after=999999999', `after=${foreignIds[0]}`, `before=${foreignIds[3]}`]) {
    const res = await a.get(`${U}?${q}`)
    t.equal(res.statusCode, 200, q)
    t.same(emailsOn(res.body), firstPage, `${q}: the first page`)
    t.notMatch(res.body, /foreign\d@example\.com|other-owner@example\.com/, `${q}: no user of another account`)
  }
  const theirs = await listOrder(other.accountId)
  const b = await signIn(ta, other.email, other.password)
  const last = await b.get(`${U}?last=1`)
  t.same(emailsOn(last.body), theirs.slice(-Math.min(25, theirs.length)), 'the other account sees only its own users')
})
