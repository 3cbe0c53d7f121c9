// Every mail in the recipient's language, as a real SMTP server receives
// it; and a full name a user typed never becomes a link in anyone's mail.
import type { ParsedMail } from 'mailparser'
import t from 'tap'
import { matchStep, newSecret, sealSecret, verifySecondFactor } from '../../src/features/two-factor/otp.ts'
import { translator } from '../../src/lib/i18n.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmtp } from '../helpers/smtp.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://panel.test' } })
const { app, base, clock } = ta
const db = app.deps.db
const ru = translator('ru')
const APP = 'Личный кабинет' // APP_NAME unset: the default name, in Russian

const speaksRussian = async (userId: string) => { await db.updateTable('users').set({ language: 'ru' }).where('id', '=', userId).execute() }

async function forgot (email: string): Promise<void> {
  const a = new Agent(app)
  await a.get(`${base}password/forgot`)
  await a.post(`${base}password/forgot`, { email })
}

t.test('a Russian user\'s reset, invitation, welcome, email-change and lockout mails are in Russian', async (t) => {
  const owner = await createOwner(ta, 'ru-owner@example.com', 'a long enough passphrase', 'Ольга Владелец')
  await speaksRussian(owner.userId)
  await forgot(owner.email)
  const reset = await smtp.waitFor(owner.email)
  t.equal(reset.subject, ru('mail.reset.subject'))
  t.match(reset.text, 'Здравствуйте, Ольга Владелец.')
  t.equal(reset.from?.value[0]?.name, APP, 'the sender\'s name in Russian too')

  // Added users get the inviter's language.
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${base}client/users/new`)
  await a.postConfirmed(`${base}client/users`, { email: 'ru-invited@example.com', full_name: 'Иван Приглашённый', password: '', access: 'chosen' }, owner.password)
  t.equal((await smtp.waitFor('ru-invited@example.com')).subject, ru('mail.invite.subject', { inviter: 'Ольга Владелец', app: APP }))
  await a.postStillConfirmed(`${base}client/users`, { email: 'ru-welcome@example.com', full_name: 'Пётр Добавленный', password: 'a long enough passphrase 2', access: 'chosen' })
  t.equal((await smtp.waitFor('ru-welcome@example.com')).subject, ru('mail.welcome.subject', { app: APP }))

  const u = await createUser(ta, owner.accountId, 'ru-user@example.com', 'a long enough passphrase', 'Уна Пользователь')
  await speaksRussian(u.userId)
  await a.get(`${base}client/users/${u.userId}/edit`)
  await a.postConfirmed(`${base}client/users/${u.userId}`, { email: 'ru-user-new@example.com', full_name: 'Уна Пользователь', phone: '' }, owner.password)
  t.equal((await smtp.waitFor('ru-user-new@example.com')).subject, ru('mail.emailConfirm.subject', { app: APP }))
  t.equal((await smtp.waitFor('ru-user@example.com')).subject, ru('mail.emailNotice.subject', { app: APP }))

  const secret = newSecret()
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: sealSecret(app.deps, secret) }).where('id', '=', u.userId).execute()
  const wrong = ['000000', '111111', '222222'].find((c) => matchStep(secret, c, clock.now()) === undefined)!
  for (let i = 0; i < 5; i++) await verifySecondFactor(app.deps, u.userId, wrong, { allowRecovery: false, ip: '192.0.2.1' })
  const locked = await smtp.waitFor('ru-user@example.com', 2)
  t.equal(locked.subject, ru('mail.totpLocked.subject', { app: APP }))
  t.match(locked.text, 'Здравствуйте, Уна Пользователь.')
})

/** What a mail client could turn into a link to the typed host. */
function linkable (m: ParsedMail): string[] {
  const parts = { subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '' }
  return Object.entries(parts).filter(([, v]) => /evil\.test|http:\/\/evil|www\.evil/i.test(v)).map(([k]) => k)
}

t.test('a full name is never a link in a mail: not in the greeting, not as the inviter or the one who asked', async (t) => {
  const owner = await createOwner(ta, 'evil-owner@example.com', 'a long enough passphrase', '=HYPERLINK("http://evil.test")')
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(`${base}client/users/new`)
  await a.postConfirmed(`${base}client/users`, { email: 'victim@example.com', full_name: 'visit www.evil.test now', password: '', access: 'chosen' }, owner.password)
  const invite = await smtp.waitFor('victim@example.com')
  t.match(invite.subject, '=HYPERLINK("http[:]//evil[.]test") invited you', 'the name is shown, defanged')
  t.match(invite.text, 'Hello, visit www[.]evil[.]test now.')

  const victim = await db.selectFrom('users').select('id').where('email', '=', 'victim@example.com').executeTakeFirstOrThrow()
  await forgot('victim@example.com')
  const reset = await smtp.waitFor('victim@example.com', 2)
  await a.get(`${base}client/users/${victim.id}/edit`)
  await a.postConfirmed(`${base}client/users/${victim.id}`, { email: 'victim-new@example.com', full_name: 'visit www.evil.test now', phone: '' }, owner.password)
  const confirm = await smtp.waitFor('victim-new@example.com')
  const notice = await smtp.waitFor('victim@example.com', 3)

  for (const [name, mail] of Object.entries({ invite, reset, confirm, notice })) {
    t.same(linkable(mail), [], `${name}: nothing linkable to the typed host`)
    const hrefs = [...String(mail.html).matchAll(/href="([^"]*)"/g)].map((m) => m[1]!)
    t.ok(hrefs.every((h) => h.startsWith('http://panel.test/')), `${name}: the HTML part links only to the panel`)
    t.equal(mail.headers.get('auto-submitted'), 'auto-generated')
  }
})
