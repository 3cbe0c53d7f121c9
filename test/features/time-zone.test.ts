// Every time shown is in the user's time zone, with the zone named: each
// time carries its UTC offset at that instant (so two times on either side
// of a DST change differ in it), each page names the IANA zone, and the
// password-changed mail is written in the recipient's zone. The clock is
// the test's: times are set on both sides of Europe/Berlin's change on
// 2026-03-29 (01:00 UTC: 02:00 CET → 03:00 CEST) and America/New_York's on
// 2026-03-08 (07:00 UTC: 02:00 EST → 03:00 EDT).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmtp } from '../helpers/smtp.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://panel.test' } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const SESSIONS = `${base}client/profile/sessions`

/** Moves the test clock to the instant (backwards too). */
const setClock = (iso: string): void => { clock.advance((Date.parse(iso) - clock.now().getTime()) / 1000) }
const setUser = async (userId: string, values: { time_zone?: string, language?: string, last_login_at?: Date }) =>
  await db.updateTable('users').set(values).where('id', '=', userId).execute()
/** The text of the table cells of a column (by its data-label), in page order. */
const cells = (html: string, label: string): string[] => [...html.matchAll(new RegExp(`data-label="${label}">([^<]*)<`, 'g'))].map((m) => m[1]!)

t.test('the sessions list: each session\'s times in the user\'s zone, with the offset of that instant on each side of the DST change', async (t) => {
  const u = await createUser(ta, owner.accountId, 'berlin@example.com')
  await setUser(u.userId, { time_zone: 'Europe/Berlin' })
  setClock('2026-03-29T00:50:00Z') // 01:50 CET
  await signIn(ta, u.email, u.password)
  setClock('2026-03-29T01:10:00Z') // 03:10 CEST
  const a = await signIn(ta, u.email, u.password)
  const page = (await a.get(SESSIONS)).body
  t.same(cells(page, 'Signed in'), ['Mar 29, 2026, 3:10 AM GMT+2', 'Mar 29, 2026, 1:50 AM GMT+1'], 'this session (after the change) first, then the one before it')
  t.same(cells(page, 'Last seen'), ['Mar 29, 2026, 3:10 AM GMT+2', 'Mar 29, 2026, 1:50 AM GMT+1'])
  t.same(cells(page, 'Time'), ['Mar 29, 2026, 3:10 AM GMT+2', 'Mar 29, 2026, 1:50 AM GMT+1'], 'the sign-ins too')
  t.match(page, 'Times are in the Europe/Berlin time zone (Central European Time), each with its offset from GMT at that moment.', 'the page names the zone')
  t.notMatch(page, /\d:\d\d [AP]M(?! GMT)/, 'no time without its offset')

  await setUser(u.userId, { time_zone: 'America/New_York' })
  const ny = (await a.get(SESSIONS)).body
  t.same(cells(ny, 'Signed in'), ['Mar 28, 2026, 9:10 PM GMT-4', 'Mar 28, 2026, 8:50 PM GMT-4'], 'the same instants in another zone, on the next request')
  t.match(ny, 'Times are in the America/New_York time zone (Eastern Time)')
})

t.test('the sessions list in Russian, across New York\'s change', async (t) => {
  const u = await createUser(ta, owner.accountId, 'ny@example.com')
  await setUser(u.userId, { time_zone: 'America/New_York', language: 'ru' })
  setClock('2026-03-08T06:50:00Z') // 01:50 EST
  await signIn(ta, u.email, u.password)
  setClock('2026-03-08T07:10:00Z') // 03:10 EDT
  const a = await signIn(ta, u.email, u.password)
  const page = (await a.get(SESSIONS)).body
  t.same(cells(page, 'Вход'), ['8 мар. 2026 г., 03:10 GMT-4', '8 мар. 2026 г., 01:50 GMT-5'])
  t.match(page, 'Время указано в часовом поясе America/New_York (Восточная Америка)')
})

t.test('the Profile\'s last login, in summer and in winter', async (t) => {
  const u = await createUser(ta, owner.accountId, 'profile@example.com')
  await setUser(u.userId, { time_zone: 'Europe/Berlin' })
  setClock('2026-07-01T12:00:00Z')
  const a = await signIn(ta, u.email, u.password)
  let page = (await a.get(`${base}client/profile`)).body
  t.match(page, '<dd>Jul 1, 2026, 2:00 PM GMT+2</dd>', 'CEST in July')
  t.match(page, 'Times are in the Europe/Berlin time zone (Central European Time)')
  await setUser(u.userId, { last_login_at: new Date('2026-01-15T12:00:00Z') })
  page = (await a.get(`${base}client/profile`)).body
  t.match(page, '<dd>Jan 15, 2026, 1:00 PM GMT+1</dd>', 'CET in January')
  await setUser(u.userId, { language: 'ru' })
  t.match((await a.get(`${base}client/profile`)).body, '<dd>15 янв. 2026 г., 13:00 GMT+1</dd>', 'in Russian')
})

t.test('the users list: last login and invitation expiry in the viewer\'s zone, the zone named', async (t) => {
  await setUser(owner.userId, { time_zone: 'Europe/Berlin', language: 'en' })
  const seen = await createUser(ta, owner.accountId, 'seen@example.com')
  await setUser(seen.userId, { last_login_at: new Date('2026-03-29T00:50:00Z') })
  const invited = await db.insertInto('users').values({ account_id: owner.accountId, email: 'invited-tz@example.com', full_name: 'Ivy Invitee', password_hash: null })
    .returning('id').executeTakeFirstOrThrow()
  setClock('2026-03-28T12:00:00Z')
  await db.insertInto('tokens').values({ id: randomBytes(32).toString('hex'), user_id: invited.id, purpose: 'invite', created_at: clock.now(), expires_at: new Date('2026-04-04T12:00:00Z'), data: '{}' }).execute()
  const a = await signIn(ta, owner.email, owner.password)
  const page = (await a.get(`${base}client/users`)).body
  t.match(page, 'Mar 29, 2026, 1:50 AM GMT+1', 'a last login before the change')
  t.match(page, 'Mar 28, 2026, 1:00 PM GMT+1', 'the owner\'s own last login, now')
  t.match(page, 'Invited, until Apr 4, 2026, 2:00 PM GMT+2', 'the expiry, after the change')
  t.match(page, 'Times are in the Europe/Berlin time zone (Central European Time)')
})

t.test('the password-changed mail: the time in the recipient\'s zone and language, the zone named', async (t) => {
  const u = await createUser(ta, owner.accountId, 'mail-tz@example.com')
  await setUser(u.userId, { time_zone: 'America/New_York' })
  setClock('2026-03-08T06:50:00Z')
  let a = await signIn(ta, u.email, u.password)
  t.equal((await a.post(`${base}client/profile/password`, { current_password: u.password, new_password: 'first new passphrase', new_password_repeat: 'first new passphrase' })).statusCode, 303)
  const before = await smtp.waitFor(u.email)
  t.match(before.text, 'was changed on Mar 8, 2026, 1:50 AM GMT-5 (America/New_York) from the IP address')
  t.match(before.html, 'Mar 8, 2026, 1:50 AM GMT-5 (America/New_York)')

  await setUser(u.userId, { language: 'ru' })
  setClock('2026-03-08T07:10:00Z')
  a = await signIn(ta, u.email, 'first new passphrase')
  t.equal((await a.post(`${base}client/profile/password`, { current_password: 'first new passphrase', new_password: 'second new passphrase', new_password_repeat: 'second new passphrase' })).statusCode, 303)
  const after = await smtp.waitFor(u.email, 2)
  t.match(after.text, 'изменён 8 мар. 2026 г., 03:10 GMT-4 (America/New_York) с IP-адреса', 'after the change, in Russian')
  t.notMatch(after.text, '(UTC)')
})

t.test('UTC is named as such; a stored zone Intl does not know is shown as UTC, and every page still answers', async (t) => {
  const u = await createUser(ta, owner.accountId, 'utc@example.com')
  setClock('2026-07-01T12:00:00Z')
  const a = await signIn(ta, u.email, u.password)
  let page = (await a.get(`${base}client/profile`)).body
  t.match(page, '<dd>Jul 1, 2026, 12:00 PM GMT+0</dd>', 'the default zone, UTC')
  t.match(page, 'Times are in the UTC time zone (Coordinated Universal Time)')
  await setUser(u.userId, { time_zone: 'Mars/Olympus_Mons' })
  const res = await a.get(SESSIONS)
  t.equal(res.statusCode, 200)
  page = res.body
  t.same(cells(page, 'Signed in'), ['Jul 1, 2026, 12:00 PM GMT+0'])
  t.match(page, 'Times are in the UTC time zone (Coordinated Universal Time)', 'the page says what the times are in')
})
