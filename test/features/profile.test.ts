import t from 'tap'
import { PASSWORD_CHECKS_PER_WINDOW } from '../../src/features/profile/service.ts'
import { Agent, createOwner, createUser, fieldError, flashOf, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmtp } from '../helpers/smtp.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const P = `${base}client/profile`
const userRow = async (id: string) => await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

t.test('the profile shows the email read-only and the forms', async (t) => {
  const u = await createUser(ta, owner.accountId, 'show@example.com')
  const a = await signIn(ta, u.email, u.password)
  const page = await a.get(P)
  t.equal(page.statusCode, 200)
  t.notMatch(page.body, /name="email"/, 'no email field')
  for (const label of ['Full name', 'Current password', 'New password', 'Phone number']) t.match(page.body, `>${label}</label>`)
})

t.test('full name: saved with a flash; bad input is refused on the same page', async (t) => {
  const u = await createUser(ta, owner.accountId, 'name@example.com')
  const a = await signIn(ta, u.email, u.password)
  const ok = await a.post(`${P}/name`, { full_name: '  Nina   Newname ', is_owner: 'true', account_id: '999', email: 'hijack@example.com' })
  t.equal(ok.statusCode, 303)
  t.equal(ok.headers.location, P)
  t.match(flashOf((await a.get(P)).body), 'Your full name has been saved.')
  const row = await userRow(u.userId)
  t.equal(row.full_name, 'Nina Newname')
  t.equal(row.is_owner, false, 'fields that are not the form\'s own are ignored')
  t.equal(row.account_id, owner.accountId)
  t.equal(row.email, 'name@example.com')
  t.match((await a.get(P)).body, 'Signed in as Nina Newname')

  for (const [value, message] of [['', 'Fill in this field.'], ['<script>x</script>', 'Enter your full name'], ['a'.repeat(201), 'Enter your full name']] as const) {
    const res = await a.post(`${P}/name`, { full_name: value })
    t.equal(res.statusCode, 422, value.slice(0, 20))
    t.match(fieldError(res.body, 'full_name'), message)
  }
  const kept = await a.post(`${P}/name`, { full_name: '<b>x</b>' })
  t.match(kept.body, 'value="&lt;b&gt;x&lt;/b&gt;"', 'the value is kept, escaped')
  const twice = await a.post(`${P}/name`, { full_name: ['A', 'B'] })
  t.equal(twice.statusCode, 422)
  t.equal((await userRow(u.userId)).full_name, 'Nina Newname', 'nothing saved')
  const audit = await db.selectFrom('audit_log').select('action').where('actor_user_id', '=', u.userId).where('action', '=', 'profile.name_changed').execute()
  t.equal(audit.length, 1)
})

t.test("the first user's full name is read-only", async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const page = await a.get(P)
  t.match(page.body, /<dt>Full name<\/dt>\s*<dd>Olga Owner<\/dd>/, 'shown once, among the account details')
  t.notMatch(page.body, 'name="full_name"', 'no field to edit')
  t.match(page.body, 'changed by your provider')
  t.notMatch(page.body, 'action="/client/profile/name"')
  const res = await a.post(`${P}/name`, { full_name: 'Someone Else' })
  t.equal(res.statusCode, 403)
  t.equal((await userRow(owner.userId)).full_name, 'Olga Owner')
})

t.test('password: rules, wrong current password, and a change that signs out the other sessions', async (t) => {
  const u = await createUser(ta, owner.accountId, 'pw@example.com', 'the first passphrase')
  const other = await signIn(ta, u.email, u.password)
  const a = await signIn(ta, u.email, u.password)
  const cases: Array<[Record<string, string>, string, string]> = [
    [{ current_password: 'not it at all', new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' }, 'current_password', 'This is not your current password.'],
    [{ current_password: u.password, new_password: 'too short', new_password_repeat: 'too short' }, 'new_password', 'Use at least 12 characters.'],
    [{ current_password: u.password, new_password: 'x'.repeat(129), new_password_repeat: 'x'.repeat(129) }, 'new_password', 'Use at most 128 characters.'],
    [{ current_password: u.password, new_password: 'qwerty123456', new_password_repeat: 'qwerty123456' }, 'new_password', 'This password is too common. Choose another one.'],
    [{ current_password: u.password, new_password: 'PW@example.com', new_password_repeat: 'PW@example.com' }, 'new_password', 'Do not use your email as your password.'],
    [{ current_password: u.password, new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase herE' }, 'new_password_repeat', 'The two passwords do not match.'],
    [{ current_password: '', new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' }, 'current_password', 'Fill in this field.']
  ]
  for (const [form, fieldName, message] of cases) {
    const res = await a.post(`${P}/password`, form)
    t.equal(res.statusCode, 422, message)
    t.equal(fieldError(res.body, fieldName), message)
    t.notMatch(res.body, /type="password" value=/, 'passwords are never put back')
  }
  const twice = await a.post(`${P}/password`, { current_password: [u.password, u.password], new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' })
  t.equal(twice.statusCode, 422)
  t.equal((await other.get(P)).statusCode, 200, 'nothing changed yet')

  const before = a.cookies.get('sid')
  const ok = await a.post(`${P}/password`, { current_password: u.password, new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' })
  t.equal(ok.statusCode, 303)
  t.not(a.cookies.get('sid'), before, 'this session was renewed')
  const page = await a.get(P)
  t.equal(page.statusCode, 200, 'and is still signed in')
  t.match(flashOf(page.body), 'Your password has been changed.')
  t.equal((await other.get(P)).statusCode, 303, 'the other session was signed out')
  t.equal((await new Agent(app).logIn(base, u.email, u.password)).statusCode, 422)
  t.equal((await new Agent(app).logIn(base, u.email, 'a new passphrase here')).statusCode, 303)
  const mail = await smtp.waitFor(u.email)
  t.equal(mail.subject, 'Your password was changed')
  t.notMatch(mail.text, 'a new passphrase here')
  const audit = await db.selectFrom('audit_log').select(['action', 'details']).where('actor_user_id', '=', u.userId).where('action', 'like', 'password.%').execute()
  t.same(audit.map((r) => r.action), ['password.change_failed', 'password.changed'])
  t.notMatch(JSON.stringify(audit), 'passphrase', 'no password in the audit log')
})

t.test('wrong current passwords are limited', async (t) => {
  const u = await createUser(ta, owner.accountId, 'guess@example.com', 'the guarded passphrase')
  const a = await signIn(ta, u.email, u.password)
  for (let i = 0; i < PASSWORD_CHECKS_PER_WINDOW; i++) {
    await a.post(`${P}/password`, { current_password: `guess number ${i}`, new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' })
  }
  const res = await a.post(`${P}/password`, { current_password: u.password, new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' })
  t.equal(res.statusCode, 422)
  t.equal(fieldError(res.body, 'current_password'), 'Too many wrong tries. Wait 15 minutes and try again.')
  ta.clock.advance(15 * 60 + 1)
  const b = await signIn(ta, u.email, u.password)
  t.equal((await b.post(`${P}/password`, { current_password: u.password, new_password: 'a new passphrase here', new_password_repeat: 'a new passphrase here' })).statusCode, 303)
})

t.test('the profile forms need a CSRF token and a signed-in user', async (t) => {
  const u = await createUser(ta, owner.accountId, 'csrf@example.com')
  const a = await signIn(ta, u.email, u.password)
  for (const path of ['name', 'password', 'phone', 'phone/verification', 'phone/verification/check', 'phone/edit', 'phone/edit/check']) {
    const form = { _csrf: null, full_name: 'Changed', phone: '+79123456799' }
    // The phone forms are re-confirmed: without a token they are refused before any prompt.
    const res = path.startsWith('phone') ? await a.postRefused(`${P}/${path}`, form) : await a.post(`${P}/${path}`, form)
    t.equal(res.statusCode, 403, path)
    const anon = await app.inject({ method: 'POST', url: `${P}/${path}`, payload: 'full_name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(anon.statusCode, 403, `${path} anonymous`)
  }
  const row = await userRow(u.userId)
  t.equal(row.full_name, 'Uma User')
  t.equal(row.phone, null)
})
