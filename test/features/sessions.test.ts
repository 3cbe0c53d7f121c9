import t from 'tap'
import { createOwner, createUser, flashOf, signIn, startTestApp, Agent } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const S = `${base}client/profile/sessions`
const UA = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' }

function publicIds (html: string): string[] {
  return [...html.matchAll(/sessions\/([0-9a-f-]{36})\/end/g)].map((m) => m[1]!)
}

t.test('the page lists the sessions, this one first, and the recent sign-ins', async (t) => {
  const u = await createUser(ta, owner.accountId, 'list@example.com')
  await new Agent(app, UA).logIn(base, u.email, 'wrong password here')
  const other = await signIn(ta, u.email, u.password, UA)
  const a = await signIn(ta, u.email, u.password)
  const page = await a.get(S)
  t.equal(page.statusCode, 200)
  t.equal(publicIds(page.body).length, 2)
  t.match(page.body, /This session/)
  t.match(page.body, 'Chrome 156 · Linux')
  t.match(page.body, '127.0.0.1')
  t.match(page.body, 'End all other sessions')
  t.match(page.body, /Failed/)
  t.match(page.body, /Signed in/)
  t.notMatch(page.body, /[0-9a-f]{64}/, 'no session id hash on the page')
  t.equal((await other.get(S)).statusCode, 200)
})

t.test('times are in the user\'s time zone', async (t) => {
  const u = await createUser(ta, owner.accountId, 'tz@example.com')
  await db.updateTable('users').set({ time_zone: 'Asia/Tokyo' }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password)
  const page = await a.get(S)
  const expected = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'shortOffset', timeZone: 'Asia/Tokyo' }).format(ta.clock.now())
  t.match(expected, /GMT\+9$/, 'each time names its offset')
  t.match(page.body, expected)
  t.match(page.body, 'Times are in the Asia/Tokyo time zone (Japan Standard Time), each with its offset from GMT at that moment.')
})

t.test('End session ends that one; End all other sessions the rest', async (t) => {
  const u = await createUser(ta, owner.accountId, 'end@example.com')
  const b = await signIn(ta, u.email, u.password)
  const c = await signIn(ta, u.email, u.password)
  const a = await signIn(ta, u.email, u.password)
  const page = await a.get(S)
  const [, firstOther] = publicIds(page.body)
  const res = await a.post(`${S}/${firstOther}/end`, {})
  t.equal(res.statusCode, 303)
  t.match(flashOf((await a.get(S)).body), 'The session has been ended.')
  const alive = [(await b.get(S)).statusCode, (await c.get(S)).statusCode].filter((s) => s === 200).length
  t.equal(alive, 1, 'one of the other two was ended')
  t.equal((await a.post(`${S}/end-others`, {})).statusCode, 303)
  t.equal((await b.get(S)).statusCode, 303)
  t.equal((await c.get(S)).statusCode, 303)
  t.equal((await a.get(S)).statusCode, 200, 'this session lives on')
  t.match((await a.get(S)).body, 'No other sessions.')
})

t.test('ending this session signs out', async (t) => {
  const u = await createUser(ta, owner.accountId, 'self@example.com')
  const a = await signIn(ta, u.email, u.password)
  const [mine] = publicIds((await a.get(S)).body)
  const res = await a.post(`${S}/${mine}/end`, {})
  t.equal(res.headers.location, `${base}login?signed_out=1`)
  t.equal((await a.get(S)).statusCode, 303)
})

t.test("nobody ends another user's session", async (t) => {
  const u = await createUser(ta, owner.accountId, 'victim@example.com')
  const v = await signIn(ta, u.email, u.password)
  const [victims] = publicIds((await v.get(S)).body)
  const attacker = await signIn(ta, owner.email, owner.password)
  await attacker.get(S)
  for (const id of [victims!, '00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
    t.equal((await attacker.post(`${S}/${id}/end`, {})).statusCode, 404, id)
  }
  t.equal((await v.get(S)).statusCode, 200, 'the victim is still signed in')
})

t.test('a session ended from another device: the next page says so, and only then', async (t) => {
  const u = await createUser(ta, owner.accountId, 'ended-elsewhere@example.com')
  const phone = await signIn(ta, u.email, u.password)
  const laptop = await signIn(ta, u.email, u.password)
  await laptop.post(`${S}/end-others`, {})
  const res = await phone.get(S)
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}login?return_to=${encodeURIComponent(S)}&ended=1`)
  t.match((await phone.get(res.headers.location as string)).body, 'Your session ended; sign in again.')
  const stranger = await new Agent(app).get(S)
  t.equal(stranger.headers.location, `${base}login?return_to=${encodeURIComponent(S)}`, 'a browser that was never signed in is just asked to sign in')
  const forged = new Agent(app)
  forged.cookies.set('sid', 'made-up-value')
  t.equal((await forged.get(S)).headers.location, `${base}login?return_to=${encodeURIComponent(S)}`, 'nor is one with a cookie we never signed')
  t.equal((await new Agent(app).get(`${base}login?ended=<script>`)).body.includes('<script>'), false, 'only the fixed messages are shown')
})
