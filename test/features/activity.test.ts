import Papa from 'papaparse'
import t from 'tap'
import { writeAudit } from '../../src/lib/audit.ts'
import { Agent, createOwner, createUser, signIn, startTestApp } from '../helpers/app.ts'

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
  await writeAudit(db, { accountId: owner.accountId, actorUserId: u.userId, targetUserId: u.userId, action: 'profile.name_changed', ip: '203.0.113.5', details: { value: evil }, at: ta.clock.now() })
}
const a = await signIn(ta, owner.email, owner.password)

t.test('who did what, when and from where; only this account', async (t) => {
  const page = await a.get(A)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'login.success')
  t.match(page.body, 'login.failed')
  t.match(page.body, '=cmd@example.com')
  t.match(page.body, '203.0.113.5')
  t.notMatch(page.body, 'other@example.com', 'nothing of the other account')
})

t.test('filters by user and by type', async (t) => {
  const signins = await a.get(`${A}?type=signin`)
  t.match(signins.body, 'login.')
  t.notMatch(signins.body, 'profile.name_changed')
  const byUser = await a.get(`${A}?user=${owner.userId}`)
  t.notMatch(byUser.body, '<code>login.failed</code>')
  const junk = await a.get(`${A}?user=abc&type=nope&page=-4`)
  t.equal(junk.statusCode, 200, 'bad filters are ignored')
  const foreign = await a.get(`${A}?user=${other.userId}`)
  t.match(foreign.body, 'Nothing has happened yet.', "another account's user shows nothing")
})

t.test('paged by Rows per page', async (t) => {
  await db.updateTable('users').set({ rows_per_page: 10 }).where('id', '=', owner.userId).execute()
  const b = await signIn(ta, owner.email, owner.password)
  const first = await b.get(A)
  t.equal((first.body.match(/<tr><td class="date">/g) ?? []).length, 10)
  t.match(first.body, /Page 1 of 2/)
  t.match((await b.get(`${A}?page=2`)).body, /Page 2 of 2/)
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
  t.ok(rows.some((r) => r[1] === "'=cmd@example.com"), 'the email cell is escaped, not dropped')
  const filtered = Papa.parse<string[]>((await a.get(`${A}.csv?type=signin`)).body.replace(/^\ufeff/, ''), { skipEmptyLines: true }).data
  t.ok(filtered.slice(1).every((r) => r[2]!.startsWith('login.')))
})

t.test('the CSV builder escapes every formula start, NUL and multi-line cells included', async (t) => {
  const { toCsv } = await import('../../src/features/activity/service.ts')
  const evil = ['=1+1', '+1', '-1', '@x', '\tx', '\rx', '\0x', '=2\n3', 'safe', 'a=b']
  const csv = toCsv(['v'], evil.map((v) => [v]))
  const cells = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data.slice(1).map((r) => r[0])
  t.same(cells, ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "'\0x", "'=2\n3", 'safe', 'a=b'])
  t.ok(csv.split('\r\n').slice(1).filter(Boolean).every((line) => line.startsWith('"') || line.startsWith('3')), 'every cell quoted')
})

t.test('NUL in audit details is stored as a replacement character', async (t) => {
  const row = await db.selectFrom('audit_log').select('details').where('action', '=', 'profile.name_changed').where('details', '@>', JSON.stringify({ value: '\uFFFDx' }) as never).executeTakeFirst()
  t.ok(row)
})
