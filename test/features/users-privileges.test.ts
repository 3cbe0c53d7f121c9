// Privilege games on Users (issue 9): a Users: manage user cannot act on a
// user who holds more than they do, and an email change link dies with the
// right of the user who asked for it.
import t from 'tap'
import { Agent, createOwner, createUser, grantPermissions, signIn, startTestApp } from '../helpers/app.ts'
import { linkIn, TestSmtp } from '../helpers/smtp.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://panel.test' } })
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const U = `${base}client/users`
const row = async (id: string) => await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const grant = async (userId: string, ...permissions: string[]): Promise<void> => { await grantPermissions(ta, userId, ...permissions) }

t.test('a Users: manage user cannot edit, enable, disable, delete or change a user holding more than they do', async (t) => {
  const manager = await createUser(ta, owner.accountId, 'manager@example.com')
  await grant(manager.userId, 'users.view', 'users.manage')
  const full = await createUser(ta, owner.accountId, 'full@example.com', 'a long enough passphrase', 'Fiona Full')
  await db.updateTable('users').set({ full_access: true }).where('id', '=', full.userId).execute()
  const payer = await createUser(ta, owner.accountId, 'payer@example.com', 'a long enough passphrase', 'Paul Payer')
  await grant(payer.userId, 'finance.pay')
  const a = await signIn(ta, manager.email, manager.password)
  for (const victim of [full, payer]) {
    const before = await row(victim.userId)
    // postRefused fails the test if a re-confirmation prompt comes before the refusal.
    const attempts = [
      await a.get(`${U}/${victim.userId}/edit`),
      await a.postRefused(`${U}/${victim.userId}`, { email: 'attacker-controlled@example.com', full_name: 'Taken Over', phone: '' }),
      await a.postRefused(`${U}/${victim.userId}/disable`, {}),
      await a.postRefused(`${U}/${victim.userId}/enable`, {}),
      await a.postRefused(`${U}/${victim.userId}/delete`, {}),
      await a.postRefused(`${U}/${victim.userId}/permissions`, { action: 'disable', permission: 'finance.pay' }),
      await a.postRefused(`${U}/${victim.userId}/full-access`, { on: '0' })
    ]
    for (const res of attempts) {
      t.equal(res.statusCode, 403, `${victim.email}: refused`)
      t.notOk(Agent.isPrompt(res), 'refused before any re-confirmation prompt')
    }
    t.same(await row(victim.userId), before, `${victim.email}: nothing changed`)
  }
  t.equal(smtp.messages.filter((m) => JSON.stringify(m.to).includes('attacker-controlled')).length, 0, 'no email change link was sent')
  // Someone holding no more than the manager is still manageable.
  const peer = await createUser(ta, owner.accountId, 'peer@example.com')
  await grant(peer.userId, 'users.view')
  t.equal((await a.postConfirmed(`${U}/${peer.userId}/disable`, {}, manager.password)).statusCode, 303)
})

async function requestEmailChange (a: Agent, password: string, userId: string, to: string): Promise<string> {
  t.equal((await a.postConfirmed(`${U}/${userId}`, { email: to, full_name: 'Changing User', phone: '' }, password)).statusCode, 303)
  const mail = await smtp.waitFor(to)
  return linkIn(mail, /http:\/\/panel\.test\/email\/confirm\/[A-Za-z0-9_-]+/).replace('http://panel.test', '')
}

t.test('an email change link does not apply after the asker lost Users: manage, nor for a disabled user', async (t) => {
  const manager = await createUser(ta, owner.accountId, 'manager2@example.com')
  await grant(manager.userId, 'users.view', 'users.manage')
  const a = await signIn(ta, manager.email, manager.password)
  // What happens between the request and the click, and what the test calls it.
  const cases: Array<[string, (targetId: string) => Promise<unknown>, string]> = [
    ['first', async () => await db.deleteFrom('user_permissions').where('user_id', '=', manager.userId).where('permission', '=', 'users.manage').execute(), 'the asker lost Users: manage: the link is dead'],
    ['second', async (targetId) => await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', targetId).execute(), 'a disabled user: the link does not apply'],
    ['third', async () => await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', manager.userId).execute(), 'the asker was disabled: the link is dead']
  ]
  for (const [name, meanwhile, message] of cases) {
    if (name === 'second') await grant(manager.userId, 'users.manage')
    const target = await createUser(ta, owner.accountId, `${name}-target@example.com`)
    const link = await requestEmailChange(a, manager.password, target.userId, `${name}-new@example.com`)
    await meanwhile(target.userId)
    const visitor = new Agent(app)
    await visitor.get(link)
    t.equal((await visitor.post(link, {})).statusCode, 404, message)
    t.equal((await row(target.userId)).email, `${name}-target@example.com`)
  }
})

t.test("another account's address on add and edit: answered as success, the holder gets a notice, nothing is created or linked", async (t) => {
  const elsewhere = await createOwner(ta, 'holder@example.org', 'holder owner passphrase', 'Hilda Holder')
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/new`)
  const fresh = await a.postConfirmed(U, { email: 'brand-new@example.com', full_name: 'Brand New', phone: '', password: '', access: 'chosen' }, owner.password)
  await a.get(`${U}/new`)
  const taken = await a.postStillConfirmed(U, { email: 'Holder@Example.org', full_name: 'Not Hilda', phone: '', password: '', access: 'chosen' })
  t.equal(taken.statusCode, fresh.statusCode, 'the same status as a real invitation')
  t.equal(taken.headers.location, fresh.headers.location, 'the same redirect')
  const flash = async () => (await a.get(U)).body.match(/class="flash[^"]*"[^>]*>([^<]*)</)?.[1]
  t.match(await flash(), 'an invitation has been sent', 'the same message')
  const notice = await smtp.waitFor('holder@example.org')
  t.match(notice.subject, 'Your address was used')
  t.notMatch(notice.text ?? '', /password\/reset|Not Hilda|Olga/, 'a notice, no link and nothing the other account typed')
  t.same((await db.selectFrom('users').select(['account_id', 'full_name']).where('email', '=', 'holder@example.org').execute()), [{ account_id: elsewhere.accountId, full_name: 'Hilda Holder' }], 'the holder is untouched, nothing created')

  // Edit: the change is "pending" as any other, the holder is told, no link exists anywhere.
  const u = await createUser(ta, owner.accountId, 'editable@example.com')
  const before = smtp.messages.length
  const res = await a.postConfirmed(`${U}/${u.userId}`, { email: 'holder@example.org', full_name: 'Eddie', phone: '' }, owner.password)
  t.equal(res.statusCode, 303)
  t.match(await flash(), 'takes effect when it is confirmed')
  await smtp.waitFor('holder@example.org', 2)
  await smtp.waitFor('editable@example.com')
  const sent = smtp.messages.slice(before)
  t.notOk(sent.some((m) => /email\/confirm\//.test(m.text ?? '')), 'no confirmation link was mailed')
  t.equal((await row(u.userId)).email, 'editable@example.com')
  // The same account's own address is refused plainly: the list shows it anyway.
  const own = await a.postStillConfirmed(`${U}/${u.userId}`, { email: owner.email, full_name: 'Eddie', phone: '' })
  t.equal(own.statusCode, 422)
  const audit = await db.selectFrom('audit_log').select(['account_id', 'action']).where('action', '=', 'user.address_use_refused').execute()
  t.same(audit.map((r) => r.account_id), [elsewhere.accountId, elsewhere.accountId], "audited in the holder's account only")
})
