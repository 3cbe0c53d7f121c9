import { sql } from 'kysely'
import Papa from 'papaparse'
import t, { type Test } from 'tap'
import { recordEvent } from '../../src/lib/events.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'

// Rows as stored, whatever their details: the page shows what the log holds.
async function logRow (r: { accountId: string, actorUserId: string | null, targetUserId: string | null, action: string, ip: string | null, details: Record<string, unknown>, at: Date }): Promise<string> {
  const row = await db.insertInto('audit_log').values({ account_id: r.accountId, actor_user_id: r.actorUserId, target_user_id: r.targetUserId, action: r.action, ip: r.ip, details: JSON.stringify(r.details), created_at: r.at })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

const ta = await startTestApp(t)
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const other = await createOwner(ta, 'other@example.com', 'other owner passphrase', 'Otto Other')
const A = `${base}client/activity`
const u = await createUser(ta, owner.accountId, '=cmd@example.com', 'a long enough passphrase', '@SUM(1+1)')
await new Agent(app).logIn(base, u.email, 'wrong password here')
await signIn(ta, u.email, u.password)
await signIn(ta, other.email, other.password)
// Values a spreadsheet would run as formulas, in the details.
for (const evil of ['=HYPERLINK("http://evil")', '+1', '-1', '@x', '\tx', '\rx', '\0x', 'ok\n=2']) {
  await recordEvent(db, { type: 'user.email_change_requested', accountId: owner.accountId, actorUserId: u.userId, targetUserId: u.userId, ip: '203.0.113.5', personal: { from: u.email, to: evil }, at: ta.clock.now() })
}
const a = await signIn(ta, owner.email, owner.password)

// Keyset paging with filters: Vera's rows are told apart by their "n", found by their row id.
const nOf = new Map<string, number>()
const numbersOn = (html: string) => [...html.matchAll(/<tr data-event="(\d+)">/g)].map((m) => nOf.get(m[1]!)).filter((n) => n !== undefined)
const linkOn = (html: string, rel: string) => html.match(new RegExp(`<a href="([^"]+)" rel="${rel}">`))?.[1]?.replaceAll('&amp;', '&')
const v = await createUser(ta, owner.accountId, 'Vera@example.com', 'a long enough passphrase', 'Vera Pager')
// 23 events of Vera, newest last; pairs share a timestamp (the id breaks the tie).
const veraEvents: Array<{ n: number, action: string, at: number }> = []
const t0 = ta.clock.now().getTime() - 3_600_000
for (let n = 0; n < 23; n++) {
  const action = ['profile.name_changed', 'phone.set', 'login.success'][n % 3]!
  const at = t0 + Math.floor(n / 2) * 1000
  veraEvents.push({ n, action, at })
  nOf.set(await logRow({ accountId: owner.accountId, actorUserId: v.userId, targetUserId: v.userId, action, ip: null, details: { n }, at: new Date(at) }), n)
}
// Newest first; the later write first within a second.
const newestFirst = (events: typeof veraEvents) => [...events].sort((x, y) => y.at - x.at || y.n - x.n).map((e) => e.n)

async function walk (t: Test, agent: Agent, start: string, rel: 'next' | 'prev'): Promise<number[][]> {
  const pages: number[][] = []
  let url: string | undefined = start
  for (let i = 0; url !== undefined && i < 50; i++) {
    const page = await agent.get(url)
    t.equal(page.statusCode, 200)
    pages.push(numbersOn(page.body))
    url = linkOn(page.body, rel)
    if (url !== undefined) t.match(url, /[?&]user=\d+&type=profile&(after|before)=\d+$/, 'the links keep the filters')
  }
  return pages
}


t.test('who did what, when and from where; only this account', async (t) => {
  const page = await a.get(A)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'Olga Owner (owner@example.com) signed in with a password')
  t.match(page.body, 'Sign-in of @SUM(1+1) (=cmd@example.com) failed (wrong password)')
  t.match(page.body, '203.0.113.5')
  t.notMatch(page.body, /login\.(success|failed)|<code/, 'no raw codes')
  t.notMatch(page.body, /\b(n|to|from|reason|method): /, 'no key: value dumps')
  t.notMatch(page.body, 'other@example.com', 'nothing of the other account')
})

t.test('filters by user and by type', async (t) => {
  const signins = await a.get(`${A}?type=signin`)
  t.match(signins.body, 'signed in with a password')
  t.notMatch(signins.body, 'changed their full name')
  const byUser = await a.get(`${A}?user=${owner.userId}`)
  t.notMatch(byUser.body, 'Sign-in of @SUM', "another user's sign-ins are not the owner's")
  const junk = await a.get(`${A}?user=abc&type=nope&page=-4`)
  t.equal(junk.statusCode, 200, 'bad filters are ignored')
  const foreign = await a.get(`${A}?user=${other.userId}`)
  t.match(foreign.body, 'No events match these filters.', "another account's user shows nothing")
})

t.test('paged by Rows per page, by key: Next, Last and Previous keep the filters', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 4 }).where('id', '=', owner.userId).execute()
  const b = await signIn(ta, owner.email, owner.password)
  t.equal((await b.get(A)).body.match(/<tr data-event="\d+"><td class="date"/g)?.length, 4, 'Rows per page')
  const expected = newestFirst(veraEvents.filter((e) => !e.action.startsWith('login.')))
  t.equal(expected.length, 16)
  const start = `${A}?user=${v.userId}&type=profile`
  const first = await b.get(start)
  t.same(numbersOn(first.body), expected.slice(0, 4))
  t.equal(linkOn(first.body, 'prev'), undefined)
  t.equal(linkOn(first.body, 'last'), `${A}?user=${v.userId}&type=profile&last=1`)
  t.same((await walk(t, b, start, 'next')).flat(), expected, 'Next walks every matching row once, newest first')
  const last = await b.get(`${start}&last=1`)
  t.same(numbersOn(last.body), expected.slice(-4), 'Last: the oldest rows')
  t.equal(linkOn(last.body, 'next'), undefined)
  t.equal(linkOn(last.body, 'first'), start)
  const back = await walk(t, b, `${start}&last=1`, 'prev')
  t.same(back.reverse().flat(), expected, 'Previous walks back to the first page')
  const byEmail = await b.get(`${A}?user=VERA%40example.com&type=signin`)
  t.same(numbersOn(byEmail.body), newestFirst(veraEvents.filter((e) => e.action.startsWith('login.'))).slice(0, 4), 'the User field takes an email')
  t.match(byEmail.body, 'value="Vera@example.com"')
  t.match(linkOn(byEmail.body, 'next'), new RegExp(`\\?user=${v.userId}&type=signin&after=\\d+$`))
})

t.test('a bad or foreign cursor is the first page; another account never shows', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 4 }).where('id', '=', owner.userId).execute()
  const b = await signIn(ta, owner.email, owner.password)
  const start = `${A}?user=${v.userId}`
  const firstPage = numbersOn((await b.get(start)).body)
  t.equal(firstPage.length, 4)
  const foreign = await db.selectFrom('audit_log').select('id').where('account_id', '=', other.accountId).orderBy('id').execute()
  t.ok(foreign.length > 0)
  for (const q of ['after=x', 'after=0', 'before=-5', 'after=12345678901234567890', 'last=yes', 'after=1&last=1', 'before=1&before=2', 'after=99999999',
    `after=${foreign[0]!.id}`, `before=${foreign.at(-1)!.id}`]) {
    const res = await b.get(`${start}&${q}`)
    t.equal(res.statusCode, 200, q)
    t.same(numbersOn(res.body), firstPage, `${q}: the first page`)
  }
  // Every page of the whole log: nothing of the other account.
  let url: string | undefined = A
  for (let i = 0; url !== undefined && i < 100; i++) {
    const page = await b.get(url)
    t.notMatch(page.body, 'other@example.com', 'nothing of the other account')
    url = linkOn(page.body, 'next')
  }
  t.equal(url, undefined, 'the walk ends')
  const unknown = await b.get(`${A}?user=other@example.com`)
  t.match(unknown.body, 'No user of this account has this email.')
  t.match(unknown.body, 'No events match these filters.')
  const csv = await b.get(`${A}.csv?user=other@example.com`)
  t.equal(csv.body.replace(/^\ufeff/, ''), '"time_utc","user","action","event","target","ip","details"', 'the CSV of an unknown user is the header only')
})

t.test('CSV: every cell quoted, formulas neutralised, same filters', async (t) => {
  const res = await a.get(`${A}.csv`)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], 'text/csv')
  t.match(res.headers['content-disposition'], 'attachment; filename="account-activity.csv"')
  const text = res.body.replace(/^\ufeff/, '')
  t.ok(text.split('\r\n')[0]!.startsWith('"time_utc","user","action"'), 'quoted header')
  const rows = Papa.parse<string[]>(text, { skipEmptyLines: true }).data
  for (const row of rows) {
    for (const cell of row) t.notOk(/^[=+\-@\t\r\0]/.test(cell), `cell starts safely: ${JSON.stringify(cell).slice(0, 40)}`)
  }
  t.ok(rows.some((r) => r[1] === "'@SUM(1+1) (=cmd@example.com)"), 'the user cell is escaped, not dropped')
  const filtered = Papa.parse<string[]>((await a.get(`${A}.csv?type=signin`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.ok(filtered.slice(1).every((r) => r[2]!.startsWith('login.')))
})

t.test('the CSV builder escapes every formula start, NUL and multi-line cells included', async (t) => {
  const { toCsv } = await import('../../src/features/activity/service.ts')
  const evil = ['=1+1', '+1', '-1', '@x', '\tx', '\rx', '\0x', '=2\n3', 'ok\n=2', 'ok\r\n+2\r\n-3', 'safe', 'a=b']
  const csv = toCsv(['v'], evil.map((v) => [v]))
  const cells = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data.slice(1).map((r) => r[0])
  t.same(cells, ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "'\0x", "'=2\n3", "ok\n'=2", "ok\r\n'+2\r\n'-3", 'safe', 'a=b'])
  t.equal(csv.split(/\r\n(?=")/).length, evil.length + 1, 'every record starts with a quoted cell')
  t.notOk(/(^|,)[^",]/.test(csv.split('\r\n')[0]!), 'every header cell quoted')
})

t.test('through the export: a formula on the second line of a cell that reaches the CSV unencoded is escaped', async (t) => {
  // The ip column is written to the CSV as it is stored (details are JSON-encoded, so their newlines never reach it raw).
  await db.insertInto('audit_log').values({ account_id: owner.accountId, actor_user_id: owner.userId, action: 'login.failed', ip: 'ok\n=2+3\r\n@SUM(1)', details: '{}', created_at: new Date() }).execute()
  const text = (await a.get(`${A}.csv`)).body.replace(/^\ufeff/, '')
  const rows = Papa.parse<string[]>(text, { skipEmptyLines: true }).data
  const cell = rows.map((r) => r[5]).find((c) => c?.startsWith('ok'))
  t.equal(cell, "ok\n'=2+3\r\n'@SUM(1)")
  for (const row of rows) {
    for (const c of row) t.notOk(/^[=+\-@\t\r\0]/m.test(c), `no line of a cell starts a formula: ${JSON.stringify(c).slice(0, 40)}`)
  }
  t.notOk(text.split(/\r\n|\n|\r/).some((line) => /^[=+\-@\t\0]/.test(line)), 'nor does any line of the file')
})

t.test('NUL in audit details is stored as a replacement character', async (t) => {
  const row = await db.selectFrom('audit_log').select('details').where('action', '=', 'user.email_change_requested').where('details', '@>', JSON.stringify({ to: '\uFFFDx' }) as never).executeTakeFirst()
  t.ok(row)
})

t.test('the CSV streams everything matching the filters, past any batch size', async (t) => {
  const bulk = await createUser(ta, owner.accountId, 'bulk@example.com')
  await sql`insert into audit_log (account_id, actor_user_id, action, ip, details, created_at)
    select ${owner.accountId}, ${bulk.userId}, case when g % 2 = 0 then 'login.success' else 'profile.name_changed' end, null, jsonb_build_object('g', g), now() - g * interval '1 second'
    from generate_series(1, 4500) g`.execute(db)
  const rows = Papa.parse<string[]>((await a.get(`${A}.csv?user=bulk@example.com`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.equal(rows.length, 4501, 'header and every row')
  t.equal(new Set(rows.slice(1).map((r) => r[6])).size, 4500, 'each row once')
  const signins = Papa.parse<string[]>((await a.get(`${A}.csv?user=${bulk.userId}&type=signin`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.equal(signins.length, 2251)
  t.ok(signins.slice(1).every((r) => r[2] === 'login.success'))
  const times = rows.slice(1).map((r) => r[0]!)
  t.same(times, [...times].sort().reverse(), 'newest first')
})

t.test('a user of the account with nothing matching: an empty page that keeps the user; an unknown user with a cursor too', async (t) => {
  const quiet = await createUser(ta, owner.accountId, 'Quiet@example.com', 'a long enough passphrase', 'Quinn Quiet')
  const b = await signIn(ta, owner.email, owner.password)
  for (const q of [`user=${quiet.userId}&type=permissions`, 'user=quiet%40EXAMPLE.com&type=permissions', `user=${quiet.userId}&type=permissions&last=1`]) {
    const res = await b.get(`${A}?${q}`)
    t.equal(res.statusCode, 200, q)
    t.match(res.body, 'No events match these filters.', q)
    t.notMatch(res.body, 'Nothing has happened yet.', q)
    t.match(res.body, 'value="Quiet@example.com"', `${q}: the field shows the user`)
    t.notMatch(res.body, 'No user of this account has this email.', `${q}: not an unknown user`)
    t.match(res.body, `activity.csv?user=${quiet.userId}&amp;type=permissions"`, `${q}: the CSV link keeps both filters`)
  }
  for (const q of [`user=${other.userId}&after=1`, 'user=nobody@example.com&last=1', `user=${other.userId}&before=99999999`]) {
    const res = await b.get(`${A}?${q}`)
    t.equal(res.statusCode, 200, q)
    t.match(res.body, 'No user of this account has this email.', q)
    t.match(res.body, 'No events match these filters.', q)
    t.notMatch(res.body, 'Nothing has happened yet.', q)
    t.notMatch(res.body, 'rel="next"', `${q}: no pager`)
  }
})

t.test('times are shown in the user\'s time zone, to the minute', async (t) => {
  await db.updateTable('users').set({ time_zone: 'Asia/Kathmandu', rows_per_page: 25 }).where('id', '=', owner.userId).execute()
  const at = new Date(Date.UTC(2026, 2, 29, 0, 59, 59, 999))
  const zoned = await createUser(ta, owner.accountId, 'zoned@example.com')
  await logRow({ accountId: owner.accountId, actorUserId: zoned.userId, targetUserId: null, action: 'profile.name_changed', ip: null, details: {}, at })
  const b = await signIn(ta, owner.email, owner.password)
  const page = await b.get(`${A}?user=zoned@example.com&type=profile`)
  t.match(page.body, '<td class="date" data-label="Time">Mar 29, 2026, 6:44 AM GMT+5:45</td>', 'UTC 00:59:59.999 is 6:44 in Kathmandu (+5:45)')
  t.match(page.body, 'Times are in the Asia/Kathmandu time zone (Nepal Time)')
})

t.test('each event reads as a sentence: who did what to whom, facts in words, in the viewer\'s language', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 25, time_zone: 'UTC' }).where('id', '=', owner.userId).execute()
  const boris = await createUser(ta, owner.accountId, 'boris@example.com', 'a long enough passphrase', 'Boris Ivanov')
  const at = ta.clock.now()
  const base = { accountId: owner.accountId, actorUserId: owner.userId, targetUserId: boris.userId, ip: '198.51.100.7', at }
  await recordEvent(db, { ...base, type: 'user.disabled', details: {}, personal: { email: boris.email } })
  await recordEvent(db, { ...base, type: 'permissions.changed', details: { enabled: 'finance.pay' } })
  await recordEvent(db, { ...base, type: 'permissions.changed', details: { disabled: 'users.view' } })
  await recordEvent(db, { ...base, actorUserId: null, type: 'totp.reset_by_provider' })
  await recordEvent(db, { ...base, actorUserId: boris.userId, targetUserId: boris.userId, type: 'phone.set', personal: { phone: '+79990001122' } })
  const b = await signIn(ta, owner.email, owner.password)
  const page = (await b.get(`${A}?user=boris@example.com`)).body
  t.match(page, 'Olga Owner (owner@example.com) disabled Boris Ivanov (boris@example.com)')
  t.match(page, 'Olga Owner (owner@example.com) changed the permissions of Boris Ivanov (boris@example.com): Finance: Pay enabled')
  t.match(page, 'Users: View disabled')
  t.match(page, 'The provider turned off two-factor authentication of Boris Ivanov (boris@example.com)')
  t.match(page, 'Boris Ivanov (boris@example.com) set the phone number +79990001122')
  t.notMatch(page, /user\.disabled|permissions\.changed|finance\.pay|users\.view|phone: /, 'no codes, no key: value')

  await db.updateTable('users').set({ language: 'ru' }).where('id', '=', owner.userId).execute()
  try {
    const ru = (await (await signIn(ta, owner.email, owner.password)).get(`${A}?user=boris@example.com`)).body
    t.match(ru, 'Olga Owner (owner@example.com): отключён пользователь Boris Ivanov (boris@example.com)')
    t.match(ru, 'Финансы: Оплата — включено', 'permission labels in the viewer\'s language')
    t.match(ru, 'Пользователи: Просмотр — отключено')
    const csv = Papa.parse<string[]>((await (await signIn(ta, owner.email, owner.password)).get(`${A}.csv?user=boris@example.com`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
    t.ok(csv.some((r) => r[2] === 'user.disabled' && r[3] === 'Olga Owner (owner@example.com): отключён пользователь Boris Ivanov (boris@example.com)'), 'the CSV sentence in the viewer\'s language too')
  } finally {
    await db.updateTable('users').set({ language: 'en' }).where('id', '=', owner.userId).execute()
  }
})

t.test('the User filter matches the user as the actor or as the target', async (t) => {
  const cleo = await createUser(ta, owner.accountId, 'cleo@example.com', 'a long enough passphrase', 'Cleo Target')
  const at = ta.clock.now()
  const done = await logRow({ accountId: owner.accountId, actorUserId: owner.userId, targetUserId: cleo.userId, action: 'user.enabled', ip: null, details: {}, at })
  const did = await logRow({ accountId: owner.accountId, actorUserId: cleo.userId, targetUserId: cleo.userId, action: 'password.changed', ip: null, details: {}, at })
  const b = await signIn(ta, owner.email, owner.password)
  const byCleo = (await b.get(`${A}?user=cleo@example.com`)).body
  const ids = [...byCleo.matchAll(/<tr data-event="(\d+)">/g)].map((m) => m[1])
  t.same(ids, [did, done], 'what was done to her and what she did, once each, newest first')
  t.match(byCleo, 'Olga Owner (owner@example.com) enabled Cleo Target (cleo@example.com)')
  const byOwner = (await b.get(`${A}?user=${owner.userId}&type=users`)).body
  t.match(byOwner, `data-event="${done}"`, 'the actor finds it too')
  const csv = Papa.parse<string[]>((await b.get(`${A}.csv?user=${cleo.userId}`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.same(csv.slice(1).map((r) => r[2]), ['password.changed', 'user.enabled'], 'the CSV has the same rows')
})

t.test('events of a user since deleted show who they were', async (t) => {
  const { deleteUserRow } = await import('../../src/features/users/service.ts')
  const dora = await createUser(ta, owner.accountId, 'dora@example.com', 'a long enough passphrase', 'Dora Gone')
  await signIn(ta, dora.email, dora.password)
  await deleteUserRow(app.deps, dora.userId, { accountId: owner.accountId, actorUserId: owner.userId, ip: '192.0.2.1' })
  t.equal((await db.selectFrom('audit_log').select('id').where('actor_user_id', '=', dora.userId).execute()).length, 1, 'her rows keep her id')
  const b = await signIn(ta, owner.email, owner.password)
  const page = (await b.get(`${A}?user=${owner.userId}&type=users`)).body
  t.match(page, 'Olga Owner (owner@example.com) deleted Dora Gone (dora@example.com)')
  const csv = Papa.parse<string[]>((await b.get(`${A}.csv?type=signin`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  const row = csv.find((r) => r[1]?.startsWith('Dora'))
  t.same(row?.slice(1, 5), ['Dora Gone (dora@example.com), since deleted', 'login.success', 'Dora Gone (dora@example.com), since deleted signed in with a password', ''], 'her sign-in names her')
  // Once her personal values are scrubbed, only the fact that she was a user remains.
  const { scrubPersonal } = await import('../../src/lib/events.ts')
  await scrubPersonal(db, dora.userId)
  const after = Papa.parse<string[]>((await b.get(`${A}.csv?type=signin`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.ok(after.some((r) => r[3] === 'A deleted user signed in with a password'), 'a deleted user, not the provider')
  t.notOk(after.some((r) => r.join().includes('dora@example.com')))
})

t.test('an empty log says nothing has happened; a filter matching nothing says so', async (t) => {
  const quiet = await createOwner(ta, 'empty@example.com', 'empty owner passphrase', 'Emma Empty')
  const b = await signIn(ta, quiet.email, quiet.password)
  await db.deleteFrom('audit_log').where('account_id', '=', quiet.accountId).execute()
  const empty = (await b.get(A)).body
  t.match(empty, 'Nothing has happened yet.')
  t.notMatch(empty, 'No events match these filters.')
  for (const q of ['type=permissions', `user=${quiet.userId}`, 'user=nobody@example.com']) {
    const filtered = (await b.get(`${A}?${q}`)).body
    t.match(filtered, 'No events match these filters.', q)
    t.notMatch(filtered, 'Nothing has happened yet.', q)
  }
})

t.test('CSV columns: time, user, the raw code, the sentence, target, IP and the raw details', async (t) => {
  const b = await signIn(ta, owner.email, owner.password)
  const csv = Papa.parse<string[]>((await b.get(`${A}.csv?user=boris@example.com&type=users`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.same(csv[0], ['time_utc', 'user', 'action', 'event', 'target', 'ip', 'details'])
  const row = csv.find((r) => r[2] === 'user.disabled')!
  t.match(row[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.same(row.slice(1), ['Olga Owner (owner@example.com)', 'user.disabled', 'Olga Owner (owner@example.com) disabled Boris Ivanov (boris@example.com)',
    'Boris Ivanov (boris@example.com)', '198.51.100.7', '{"email":"boris@example.com"}'])
})
