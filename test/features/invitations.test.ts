// Users list: an invited user shows Invited with the link's expiry, and a
// new invitation can be sent (the old links die; three an hour per user).
import t from 'tap'
import { addresses, linkIn, TestSmtp } from '../helpers/smtp.ts'
import { jobsSettled } from '../helpers/wait.ts'
import { Agent, createOwner, createUser, flashOf, signIn, startTestApp } from '../helpers/app.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://panel.test' } })
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const other = await createOwner(ta, 'other-owner@example.com', 'other owner passphrase', 'Otto Other')
const U = `${base}client/users`
const LINK = /http:\/\/panel\.test\/[^\s]+/
let a = await signIn(ta, owner.email, owner.password)

async function invite (email: string): Promise<string> {
  // The clock moves in these tests: a fresh sign-in, so the session is never the one that idled out.
  a = await signIn(ta, owner.email, owner.password)
  await a.get(`${U}/new`)
  const form = { email, full_name: 'Ivy Invitee', phone: '', password: '', access: 'chosen' }
  await a.postConfirmed(U, form, owner.password)
  return (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id
}
const mailsTo = (email: string) => smtp.messages.filter((m) => addresses(m).includes(email)).length
const liveInvites = async (userId: string) => (await db.selectFrom('tokens').select('id').where('user_id', '=', userId).where('purpose', '=', 'invite').where('used_at', 'is', null).execute()).length

t.test('an invited user shows Invited until the link expires, then that it expired', async (t) => {
  const id = await invite('ivy@example.com')
  const page = (await a.get(U)).body
  t.match(page, /Invited, until [^<]+/)
  t.match(page, `action="${U}/${id}/invitation"`, 'with Resend invitation')
  t.match(page, 'Resend invitation')
  ta.clock.advance(8 * 24 * 3600)
  const later = await signIn(ta, owner.email, owner.password)
  t.match((await later.get(U)).body, 'Invitation expired')
  await later.post(`${U}/${id}/invitation`, {})
  t.match((await later.get(U)).body, /Invited, until [^<]+/, 'a resend gives an expired invitation a new week')
})

t.test('resend: a new link works, the old one is dead, the page says so', async (t) => {
  const id = await invite('rena@example.com')
  const first = linkIn(await smtp.waitFor('rena@example.com'), LINK).replace('http://panel.test', '')
  const res = await a.post(`${U}/${id}/invitation`, {})
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, U)
  t.match(flashOf((await a.get(U)).body), 'A new invitation has been sent to rena@example.com.')
  const second = linkIn(await smtp.waitFor('rena@example.com', 2), LINK).replace('http://panel.test', '')
  t.not(second, first)
  t.equal((await new Agent(app).get(first)).statusCode, 404, 'the old link is dead')
  t.match((await new Agent(app).get(second)).body, 'Set your password')
  t.equal(await liveInvites(id), 1)
  const logged = await db.selectFrom('audit_log').select(['actor_user_id', 'target_user_id']).where('action', '=', 'user.invitation_resent').where('target_user_id', '=', id).execute()
  t.same(logged, [{ actor_user_id: owner.userId, target_user_id: id }])
})

t.test('six resends at once: three go out, one link stays live', async (t) => {
  const id = await invite('burst@example.com')
  await smtp.waitFor('burst@example.com')
  const answers = await Promise.all(Array.from({ length: 6 }, async () => await a.post(`${U}/${id}/invitation`, {})))
  t.ok(answers.every((r) => r.statusCode === 303))
  const resent = await db.selectFrom('audit_log').select('id').where('action', '=', 'user.invitation_resent').where('target_user_id', '=', id).execute()
  t.equal(resent.length, 3, 'exactly the limit')
  t.equal(await liveInvites(id), 1, 'every link but the newest is dead')
  await jobsSettled(db, 'mail')
  t.equal(mailsTo('burst@example.com'), 4, 'the invitation and three resends')
  await a.post(`${U}/${id}/invitation`, {})
  t.match(flashOf((await a.get(U)).body), 'Three invitations were sent to this user in the last hour.')
  ta.clock.advance(3601)
  const hourLater = await signIn(ta, owner.email, owner.password)
  await hourLater.get(U)
  await hourLater.post(`${U}/${id}/invitation`, {})
  t.match(flashOf((await hourLater.get(U)).body), 'A new invitation has been sent', 'an hour later it works again')
})

t.test('a user with a password has nothing to resend; nothing is sent', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(U)
  const u = await createUser(ta, owner.accountId, 'has-password@example.com')
  await a.post(`${U}/${u.userId}/invitation`, {})
  t.match(flashOf((await a.get(U)).body), 'already set a password')
  t.equal(await liveInvites(u.userId), 0)
  t.notMatch((await a.get(U)).body, `${U}/${u.userId}/invitation`, 'and no button for it')
})

t.test('another account\'s invited user: a 404 with the attacker\'s own valid token, nothing sent', async (t) => {
  const id = await invite('victim-invite@example.com')
  await smtp.waitFor('victim-invite@example.com')
  const attacker = await signIn(ta, other.email, other.password)
  await attacker.get(`${base}client/users`)
  const res = await attacker.post(`${base}client/users/${id}/invitation`, {})
  t.equal(res.statusCode, 404)
  await jobsSettled(db, 'mail')
  t.equal(mailsTo('victim-invite@example.com'), 1)
  t.equal(await liveInvites(id), 1)
})
