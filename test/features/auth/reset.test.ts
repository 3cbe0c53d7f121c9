import t from 'tap'
import { Agent, createOwner, flashOf, startTestApp } from '../../helpers/app.ts'
import { linkIn, TestSmtp } from '../../helpers/smtp.ts'
import { deliveryFailed, jobsSettled } from '../../helpers/wait.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, MAIL_FROM: 'panel@provider.test' } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta, 'reset@example.com', 'the original passphrase')
const LINK = /http:\/\/panel\.test\/password\/reset\/[A-Za-z0-9_-]+/

async function askForLink (email: string, nth: number): Promise<string> {
  const a = new Agent(app)
  await a.get(`${base}password/forgot`)
  const res = await a.post(`${base}password/forgot`, { email })
  if (res.statusCode !== 303) throw new Error(`forgot password answered ${res.statusCode}`)
  const mail = await smtp.waitFor(email, nth)
  return linkIn(mail, LINK).replace('http://panel.test', '')
}

t.test('the reset link arrives by mail, sets the password once and ends every session', async (t) => {
  const signedIn = new Agent(app)
  await signedIn.logIn(base, owner.email, owner.password)
  t.equal((await signedIn.get(`${base}client/profile`)).statusCode, 200)

  const path = await askForLink(owner.email, 1)
  const mail = smtp.messages.at(-1)!
  t.equal(mail.subject, 'Set a new password')
  t.match(mail.from?.text, 'panel@provider.test')

  const a = new Agent(app)
  const form = await a.get(path)
  t.equal(form.statusCode, 200)
  t.match(form.body, '<label for="f-password">New password</label>')

  // Bad input: the same page, 422, the link still good.
  const short = await a.post(path, { password: 'short', password_repeat: 'short' })
  t.equal(short.statusCode, 422)
  t.match(short.body, 'Use at least 12 characters.')
  const common = await a.post(path, { password: 'qwertyuiop123', password_repeat: 'qwertyuiop123' })
  t.equal(common.statusCode, 422)
  t.match(common.body, 'This password is too common.')
  const email = await a.post(path, { password: 'reset@example.com', password_repeat: 'reset@example.com' })
  t.match(email.body, 'Do not use your email as your password.')
  const mismatch = await a.post(path, { password: 'a brand new passphrase', password_repeat: 'a brand new passphrasE' })
  t.equal(mismatch.statusCode, 422)
  t.match(mismatch.body, 'The two passwords do not match.')
  t.notMatch(mismatch.body, 'a brand new passphrase', 'passwords are never echoed')

  const ok = await a.post(path, { password: ' a brand new passphrase ', password_repeat: ' a brand new passphrase ' })
  t.equal(ok.statusCode, 303)
  t.equal(ok.headers.location, `${base}login`)
  t.match(flashOf((await a.get(`${base}login`)).body), 'Your password has been set.')

  t.equal((await signedIn.get(`${base}client/profile`)).statusCode, 303, 'the other session was ended')
  t.equal((await new Agent(app).logIn(base, owner.email, owner.password)).statusCode, 422, 'the old password is gone')
  t.equal((await new Agent(app).logIn(base, owner.email, 'a brand new passphrase')).statusCode, 422, 'the password is not trimmed')
  t.equal((await new Agent(app).logIn(base, owner.email, ' a brand new passphrase ')).statusCode, 303)

  // Used twice: refused, nothing changes.
  const again = new Agent(app)
  const page = await again.get(path)
  t.equal(page.statusCode, 404)
  t.match(page.body, 'This link is not valid')
  await new Agent(app).get(`${base}login`)
  const reuse = await a.post(path, { password: 'yet another passphrase', password_repeat: 'yet another passphrase' })
  t.equal(reuse.statusCode, 404)
  t.equal((await new Agent(app).logIn(base, owner.email, ' a brand new passphrase ')).statusCode, 303)

  const notice = await smtp.waitFor(owner.email, 2)
  t.equal(notice.subject, 'Your password was changed')
})

t.test('an expired link is refused', async (t) => {
  const path = await askForLink(owner.email, 3)
  clock.advance(3601)
  const a = new Agent(app)
  await a.get(`${base}password/forgot`) // a page with a form, for a CSRF token
  t.equal((await a.get(path)).statusCode, 404)
  const res = await a.post(path, { password: 'expired link passphrase', password_repeat: 'expired link passphrase' })
  t.equal(res.statusCode, 404)
})

t.test('unknown addresses get the same answer and no mail', async (t) => {
  const before = smtp.messages.length
  const a = new Agent(app)
  await a.get(`${base}password/forgot`)
  const res = await a.post(`${base}password/forgot`, { email: 'nobody@example.com' })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}login`)
  t.match(flashOf((await a.get(`${base}login`)).body), 'If an account with this email exists')
  // The job has run when a later request for a known address has been mailed.
  await askForLink(owner.email, 4)
  t.equal(smtp.messages.filter((m) => m.text?.includes('nobody@example.com')).length, 0)
  t.equal(smtp.messages.length, before + 1)
})

t.test('at most three reset mails an hour per user', async (t) => {
  clock.advance(3601)
  for (let i = 0; i < 5; i++) {
    const a = new Agent(app)
    await a.get(`${base}password/forgot`)
    await a.post(`${base}password/forgot`, { email: owner.email })
  }
  const tokens = async () => (await db.selectFrom('tokens').select('id').where('user_id', '=', owner.userId).where('purpose', '=', 'password_reset').where('created_at', '>', new Date(clock.now().getTime() - 3600_000)).execute()).length
  await jobsSettled(db, 'password-reset')
  t.equal(await tokens(), 3)
})

t.test('with the SMTP server down, mail waits and is delivered when it is back', async (t) => {
  const other = await createOwner(ta, 'outage@example.com', 'outage test passphrase')
  await smtp.stop()
  const a = new Agent(app)
  await a.get(`${base}password/forgot`)
  const res = await a.post(`${base}password/forgot`, { email: other.email })
  t.equal(res.statusCode, 303, 'the page answers as usual', { body: res.body.slice(0, 3000) })
  await deliveryFailed(db, 'mail')
  t.equal(smtp.messages.filter((m) => m.to !== undefined && JSON.stringify(m.to).includes(other.email)).length, 0, 'tried while the server was down, not delivered')
  await smtp.start()
  const mail = await smtp.waitFor(other.email, 1)
  const path = linkIn(mail, LINK).replace('http://panel.test', '')
  t.equal((await new Agent(app).get(path)).statusCode, 200, 'the delivered link works')
  await jobsSettled(db, 'password-reset')
  const live = await db.selectFrom('tokens').select('id').where('user_id', '=', other.userId).execute()
  t.equal(live.length, 1, 'one link was made, and the retries sent that one')
})
