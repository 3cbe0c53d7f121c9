// Privacy: documents (SPEC §4.2, issue 13), written as attacks where they
// apply: an unpublished or not-yet-effective version changes nothing; once
// a required version takes effect (the injectable clock) every page leads
// to the acceptance page and every other post is refused until the user
// accepts; decisions are only on the newest effective version, a required
// document is never withdrawn here, raced submits make one row, and a user
// sees only their own decisions.
import t from 'tap'
import { marketingConsent, privacy, publishPolicy } from '../../src/features/privacy/index.ts'
import { Agent, createOwner, createUser, flashOf, signIn, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const privacyPage = `${base}client/settings/privacy`
const acceptPage = `${privacyPage}/accept`
const decisions = `${privacyPage}/decisions`
// Under the session's idle timeout (30 minutes): the user stays signed in across the clock's moves.
const SOON = 10 * 60

const iso = (secondsFromNow: number): string => new Date(clock.now().getTime() + secondsFromNow * 1000).toISOString()
async function publish (document: string, version: number, effectiveIn: number, content: { url?: string, textEn?: string, textRu?: string, changesEn?: string, changesRu?: string } = { textEn: `${document} v${version}`, textRu: `${document} в${version}` }) {
  const r = await publishPolicy(app.deps, { document, version, effectiveAt: iso(effectiveIn), ...content })
  if (!r.ok) throw new Error(`publish ${document} ${version}: ${r.reason}`)
  return r
}
const rowsOf = async (userId: string) => await db.selectFrom('policy_decisions').select(['document', 'version', 'decision', 'ip', 'decided_at'])
  .where('user_id', '=', userId).orderBy('id').execute()
const eventsOf = async (userId: string) => await db.selectFrom('audit_log').select(['action', 'details', 'ip'])
  .where('actor_user_id', '=', userId).where('action', 'like', 'policy.%').orderBy('id').execute()

let made = 0
async function freshUser () {
  made++
  return await createUser(ta, owner.accountId, `doc-${made}@example.com`)
}

t.test('no document published: every page works as before', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  for (const path of ['client/profile', 'client/settings', 'client/settings/privacy', 'client/profile/sessions']) {
    t.equal((await a.get(`${base}${path}`)).statusCode, 200, path)
  }
  const page = await a.get(privacyPage)
  t.match(page.body, 'No documents have been published yet.')
  t.match(page.body, 'You have made no decisions yet.')
  const accept = await a.get(acceptPage)
  t.equal(accept.statusCode, 303, 'nothing to accept: on to Profile')
  t.equal(accept.headers.location, `${base}client/profile`)
  t.equal((await a.get(`${privacyPage}/documents/privacy-policy`)).statusCode, 404)
  const u = await freshUser()
  const b = await signIn(ta, u.email, u.password)
  t.equal((await b.post(`${base}client/profile/name`, { full_name: 'Uma Renamed' })).statusCode, 303, 'a post goes through')
})

t.test('a version effective in the future is invisible and gates nothing', async (t) => {
  await publish('privacy-policy', 1, SOON, {
    textEn: 'First paragraph <script>alert(1)</script>\nsecond line.\n\nSecond paragraph & more.',
    textRu: 'Первый абзац.\n\nВторой абзац.',
    changesEn: 'We now say what we keep.',
    changesRu: 'Теперь мы пишем, что храним.'
  })
  const a = await signIn(ta, owner.email, owner.password)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200)
  const page = await a.get(privacyPage)
  t.equal(page.statusCode, 200)
  t.notMatch(page.body, 'Privacy policy</a>', 'not listed')
  t.equal((await a.get(`${privacyPage}/documents/privacy-policy`)).statusCode, 404, 'its page is not there yet')
  t.equal((await a.get(acceptPage)).statusCode, 303)
  const forged = await a.post(decisions, { document: 'privacy-policy', version: '1', decision: 'accept' })
  t.equal(forged.statusCode, 422, 'a decision on a version not yet effective is refused')
  t.match(forged.body, 'This version is not the one in effect.')
  t.same(await rowsOf(owner.userId), [], 'nothing saved')
})

t.test('once it takes effect: every page leads to the acceptance page, posts are refused, logout works', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const u = await freshUser()
  const b = await signIn(ta, u.email, u.password)
  clock.advance(SOON + 1)
  for (const path of ['client/profile', 'client/settings', 'client/settings/privacy', 'client/profile/sessions', 'client/activity', 'client/settings/privacy/documents/privacy-policy']) {
    const res = await a.get(`${base}${path}`)
    t.equal(res.statusCode, 303, path)
    t.equal(res.headers.location, `${acceptPage}?return_to=${encodeURIComponent(`${base}${path}`)}`, `${path}: the acceptance page, then back here`)
  }
  const post = await b.post(`${base}client/profile/name`, { full_name: 'Somebody Else' })
  t.equal(post.statusCode, 403, 'a post of another page is refused')
  t.match(post.body, 'Accept the updated documents first')
  t.equal((await db.selectFrom('users').select('full_name').where('id', '=', u.userId).executeTakeFirstOrThrow()).full_name, 'Uma User', 'nothing changed')
  t.same(await rowsOf(u.userId), [])
  const page = await a.get(`${acceptPage}?return_to=${encodeURIComponent(`${base}client/settings`)}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, '<h2 id="h-privacy-policy">Privacy policy</h2>')
  t.match(page.body, /Version 1, in effect since/)
  t.match(page.body, 'What changed')
  t.match(page.body, 'We now say what we keep.')
  t.match(page.body, '<p>First paragraph &lt;script&gt;alert(1)&lt;/script&gt;<br>second line.</p>', 'the text escaped, its lines kept')
  t.match(page.body, '<p>Second paragraph &amp; more.</p>')
  t.notMatch(page.body, '<script>')
  t.match(page.body, 'I have read and accept the Privacy policy')
  t.match(page.body, /name="return_to" value="[^"]*client\/settings"/)
  // The language switch stays reachable, and leaves the user on the acceptance page.
  t.equal((await a.post(`${base}language`, { lang: 'en', return_to: acceptPage })).statusCode, 303, 'language switch')
  const out = await a.post(`${base}logout`, {})
  t.equal(out.statusCode, 303, 'logout works')
  t.equal((await a.get(`${base}client/profile`)).headers.location, `${base}login?return_to=${encodeURIComponent(`${base}client/profile`)}`, 'signed out')
})

t.test('sign-in lands on the acceptance page; unticked is refused; accepting goes on to where the user was going', async (t) => {
  const a = new Agent(app)
  await a.get(`${base}login?return_to=${encodeURIComponent(`${base}client/settings`)}`)
  const login = await a.post(`${base}login`, { email: owner.email, password: owner.password, return_to: `${base}client/settings` })
  t.equal(login.headers.location, `${base}client/settings`)
  const next = await a.get(`${base}client/settings`)
  t.equal(next.headers.location, `${acceptPage}?return_to=${encodeURIComponent(`${base}client/settings`)}`)
  const page = await a.get(String(next.headers.location))
  t.equal(page.statusCode, 200)

  const unticked = await a.post(acceptPage, { return_to: `${base}client/settings` })
  t.equal(unticked.statusCode, 422)
  t.match(unticked.body, 'Tick the box of every document to accept it: nothing was saved.')
  t.match(unticked.body, '<p class="error" id="e-accept-privacy-policy">Tick this box to accept the Privacy policy.</p>')
  const stale = await a.post(acceptPage, { accept: 'privacy-policy:2', return_to: `${base}client/settings` })
  t.equal(stale.statusCode, 422, 'a version that is not the pending one is no acceptance')
  t.same(await rowsOf(owner.userId), [], 'nothing saved')
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303, 'still held')

  a.remoteAddress = '198.51.100.7'
  const done = await a.post(acceptPage, { accept: 'privacy-policy:1', return_to: `${base}client/settings` })
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, `${base}client/settings`, 'on to where the user was going')
  const settings = await a.get(`${base}client/settings`)
  t.equal(settings.statusCode, 200)
  t.equal(flashOf(settings.body), 'Thank you: the documents are accepted.')
  const rows = await rowsOf(owner.userId)
  t.match(rows, [{ document: 'privacy-policy', version: 1, decision: 'accepted', ip: '198.51.100.7' }])
  t.equal(rows[0]!.decided_at.getTime(), clock.now().getTime(), 'the clock\'s time')
  t.match(await eventsOf(owner.userId), [{ action: 'policy.accepted', details: { document: 'privacy-policy', version: 1 }, ip: '198.51.100.7' }])
  t.equal((await a.get(acceptPage)).statusCode, 303, 'nothing left to accept')
})

t.test('the acceptance page goes on only to a page of ours', async (t) => {
  for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', acceptPage]) {
    const u = await freshUser()
    const a = await signIn(ta, u.email, u.password)
    await a.get(acceptPage)
    const res = await a.post(acceptPage, { accept: 'privacy-policy:1', return_to: evil })
    t.equal(res.statusCode, 303, evil)
    t.equal(res.headers.location, `${base}client/profile`, evil)
  }
})

t.test('the privacy page: the documents in effect, the decisions and their history', async (t) => {
  await publish('sms-news', 1, 0)
  await publish('email-news', 1, 0, { url: 'https://example.com/email-news?v=1&x="y"' })
  await publish('sms-news', 2, 100 * SOON)
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  t.equal((await a.post(acceptPage, { accept: 'privacy-policy:1' })).statusCode, 303)
  const page = await a.get(privacyPage)
  t.equal(page.statusCode, 200)
  t.match(page.body, `href="${privacyPage}/documents/privacy-policy">Privacy policy</a> <span class="badge">Required</span>`)
  t.match(page.body, 'href="https://example.com/email-news?v=1&amp;x=&quot;y&quot;" rel="noopener noreferrer">Email news</a>', 'a URL, escaped')
  t.match(page.body, `href="${privacyPage}/documents/sms-news">SMS news</a>`)
  t.notMatch(page.body, 'User agreement', 'not published: not listed')
  t.match(page.body, 'To withdraw, request deletion of your data')
  t.match(page.body, /Accepted <span class="hint">\(version 1, /)
  t.match(page.body, 'Not decided')
  t.notMatch(page.body, /name="document" value="privacy-policy">\s*<input type="hidden" name="version" value="1">\s*<input type="hidden" name="decision" value="withdraw">/, 'no Withdraw for a required document')
  t.match(page.body, /name="document" value="sms-news">\s*<input type="hidden" name="version" value="1">\s*<input type="hidden" name="decision" value="accept">/, 'Accept offers the version in effect, not the future one')
  t.match(page.body, 'Decision history')
  const doc = await a.get(`${privacyPage}/documents/sms-news`)
  t.equal(doc.statusCode, 200)
  t.match(doc.body, 'sms-news v1')
  t.notMatch(doc.body, 'sms-news v2', 'the future version is not shown')
  t.equal((await a.get(`${privacyPage}/documents/nope`)).statusCode, 404)
  t.equal((await a.get(`${privacyPage}/documents/email-news`)).statusCode, 200)
})

t.test('decisions: accept and withdraw an optional document; marketingConsent follows; restricted means no', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  await a.post(acceptPage, { accept: 'privacy-policy:1' })
  await a.get(privacyPage)
  const now = (): Date => clock.now()
  t.equal(await marketingConsent(db, u.userId, 'sms', now()), false, 'not decided: no')
  const accepted = await a.post(decisions, { document: 'sms-news', version: '1', decision: 'accept' })
  t.equal(accepted.statusCode, 303)
  t.equal(accepted.headers.location, `${privacyPage}#documents`)
  t.equal(flashOf((await a.get(privacyPage)).body), 'You accepted: SMS news.')
  t.equal(await marketingConsent(db, u.userId, 'sms', now()), true)
  t.equal(await marketingConsent(db, u.userId, 'email', now()), false, 'the other channel is its own')
  clock.advance(60)
  const withdrawn = await a.post(decisions, { document: 'sms-news', version: '1', decision: 'withdraw' })
  t.equal(withdrawn.statusCode, 303)
  t.equal(flashOf((await a.get(privacyPage)).body), 'You withdrew your consent: SMS news.')
  t.equal(await marketingConsent(db, u.userId, 'sms', now()), false)
  t.match((await rowsOf(u.userId)).slice(1), [{ document: 'sms-news', version: 1, decision: 'accepted' }, { document: 'sms-news', version: 1, decision: 'withdrawn' }])
  t.match((await eventsOf(u.userId)).map((e) => e.action), ['policy.accepted', 'policy.accepted', 'policy.withdrawn'])

  t.equal((await a.post(decisions, { document: 'email-news', version: '1', decision: 'accept' })).statusCode, 303)
  t.equal(await marketingConsent(db, u.userId, 'email', now()), true)
  await db.updateTable('users').set({ restricted: true }).where('id', '=', u.userId).execute()
  t.equal(await marketingConsent(db, u.userId, 'email', now()), false, 'a restriction stops marketing')
  await db.updateTable('users').set({ restricted: false }).where('id', '=', u.userId).execute()
  // A newer version in effect: the old acceptance no longer counts until the new one is accepted.
  await publish('email-news', 2, 0, { url: 'https://example.com/email-news?v=2' })
  t.equal(await marketingConsent(db, u.userId, 'email', now()), false, 'the newest version is not accepted')
  const page = await a.get(privacyPage)
  t.match(page.body, /name="document" value="email-news">\s*<input type="hidden" name="version" value="2">\s*<input type="hidden" name="decision" value="accept">/)
  t.equal((await a.post(decisions, { document: 'email-news', version: '2', decision: 'accept' })).statusCode, 303)
  t.equal(await marketingConsent(db, u.userId, 'email', now()), true)
  t.equal(await marketingConsent(db, 'not a user id'.length.toString(), 'email', now()), false, 'no such user: no')
})

t.test('bad decisions: 422 on the page, nothing saved', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  await a.post(acceptPage, { accept: 'privacy-policy:1' })
  await a.get(privacyPage)
  const before = await rowsOf(u.userId)
  const cases: Array<[string, Record<string, string | string[]>, string]> = [
    ['unknown document', { document: 'cookie-policy', version: '1', decision: 'accept' }, 'There is no such document.'],
    ['no document', { version: '1', decision: 'accept' }, 'There is no such document.'],
    ['withdraw a required document', { document: 'privacy-policy', version: '1', decision: 'withdraw' }, 'A required document cannot be withdrawn here'],
    ['a version not yet effective', { document: 'sms-news', version: '2', decision: 'accept' }, 'This version is not the one in effect.'],
    ['a version never published', { document: 'sms-news', version: '99', decision: 'accept' }, 'This version is not the one in effect.'],
    ['a superseded version', { document: 'email-news', version: '1', decision: 'accept' }, 'This version is not the one in effect.'],
    ['a version spelt otherwise', { document: 'sms-news', version: '01', decision: 'accept' }, 'This version is not the one in effect.'],
    ['a version sent twice', { document: 'sms-news', version: ['1', '1'], decision: 'accept' }, 'This version is not the one in effect.'],
    ['unknown decision', { document: 'sms-news', version: '1', decision: 'maybe' }, 'Choose Accept or Withdraw.']
  ]
  for (const [name, form, message] of cases) {
    const res = await a.post(decisions, form)
    t.equal(res.statusCode, 422, name)
    t.match(res.body, message, name)
    t.match(res.body, 'Decision history', `${name}: the whole page`)
  }
  t.same(await rowsOf(u.userId), before, 'nothing saved')
})

t.test('a user sees only their own decisions', async (t) => {
  const other = await createOwner(ta, 'other-owner@example.com')
  const mate = await freshUser()
  for (const who of [other, mate]) {
    const b = await signIn(ta, who.email, 'a long enough passphrase')
    await b.get(acceptPage)
    b.remoteAddress = '203.0.113.99'
    await b.post(acceptPage, { accept: 'privacy-policy:1' })
    await b.get(privacyPage)
    await b.post(decisions, { document: 'sms-news', version: '1', decision: 'accept' })
  }
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  await a.post(acceptPage, { accept: 'privacy-policy:1' })
  const page = await a.get(privacyPage)
  t.notMatch(page.body, '203.0.113.99', 'no one else\'s IP')
  t.equal((page.body.match(/<td class="date" data-label="Time">/g) ?? []).length, 1, 'one row of history: their own acceptance')
  t.match(page.body, /SMS news<\/a><\/span><\/td>[\s\S]*?Not decided/, 'SMS news not decided by this user, whatever the others did')
})

t.test('the history is bounded to the user\'s rows per page, newest first', async (t) => {
  const u = await freshUser()
  await db.updateTable('users').set({ rows_per_page: 10 }).where('id', '=', u.userId).execute()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  await a.post(acceptPage, { accept: 'privacy-policy:1' })
  await a.get(privacyPage)
  for (let i = 0; i < 12; i++) {
    clock.advance(60)
    t.equal((await a.post(decisions, { document: 'sms-news', version: '1', decision: i % 2 === 0 ? 'accept' : 'withdraw' })).statusCode, 303)
  }
  const page = await a.get(privacyPage)
  const history = page.body.slice(page.body.indexOf('Decision history'))
  t.equal((history.match(/<td class="date"/g) ?? []).length, 10, 'the newest 10')
  t.match(history, 'Only your newest 10 decisions are shown; the export of your personal data holds them all.')
  t.ok(history.indexOf('Withdrawn') < history.indexOf('Accepted'), 'the newest (a withdrawal) first')
  t.equal((await rowsOf(u.userId)).length, 13)
})

t.test('raced submits: one row, never a contradiction', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  const accepts = await Promise.all(Array.from({ length: 6 }, async () => await a.post(acceptPage, { accept: 'privacy-policy:1' })))
  t.ok(accepts.every((r) => r.statusCode === 303), 'each answered as done')
  t.equal((await rowsOf(u.userId)).length, 1, 'one acceptance row')
  await a.get(privacyPage)
  const raced = await Promise.all(Array.from({ length: 6 }, async () => await a.post(decisions, { document: 'sms-news', version: '1', decision: 'accept' })))
  t.ok(raced.every((r) => r.statusCode === 303))
  t.match(await rowsOf(u.userId), [{ document: 'privacy-policy' }, { document: 'sms-news', decision: 'accepted' }], 'one acceptance of sms-news')
  t.equal((await rowsOf(u.userId)).length, 2)
  const withdrawals = await Promise.all(Array.from({ length: 6 }, async () => await a.post(decisions, { document: 'sms-news', version: '1', decision: 'withdraw' })))
  t.ok(withdrawals.every((r) => r.statusCode === 303))
  t.equal((await rowsOf(u.userId)).length, 3, 'one withdrawal')
  t.equal((await eventsOf(u.userId)).length, 3, 'one event per row')
})

t.test('a forged post without the CSRF token is refused', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  t.equal((await a.post(acceptPage, { _csrf: null, accept: 'privacy-policy:1' })).statusCode, 403)
  await a.get(acceptPage)
  t.equal((await a.post(acceptPage, { accept: 'privacy-policy:1' })).statusCode, 303)
  t.equal((await a.post(decisions, { _csrf: null, document: 'sms-news', version: '1', decision: 'accept' })).statusCode, 403)
  t.equal((await rowsOf(u.userId)).length, 1, 'only the acceptance made with the token')
})

t.test('a new version of a required document holds the user again, showing what changed', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  await a.get(acceptPage)
  await a.post(acceptPage, { accept: 'privacy-policy:1' })
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200)
  await publish('privacy-policy', 2, SOON, { url: 'https://example.com/privacy/2', changesEn: 'Longer retention.', changesRu: 'Дольше храним.' })
  await publish('user-agreement', 1, SOON)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200, 'not before it takes effect')
  clock.advance(SOON)
  t.equal((await a.get(`${base}client/profile`)).statusCode, 303)
  const page = await a.get(acceptPage)
  t.match(page.body, 'href="https://example.com/privacy/2"')
  t.match(page.body, 'Longer retention.')
  t.match(page.body, 'I have read and accept the User agreement')
  const half = await a.post(acceptPage, { accept: 'privacy-policy:2' })
  t.equal(half.statusCode, 422, 'one of two ticked: nothing saved')
  t.match(half.body, /value="privacy-policy:2" checked>/, 'the box ticked stays ticked')
  t.match(half.body, 'id="e-accept-user-agreement"')
  t.notMatch(half.body, 'id="e-accept-privacy-policy"')
  t.equal((await rowsOf(u.userId)).length, 1)
  t.equal((await a.post(acceptPage, { accept: ['privacy-policy:2', 'user-agreement:1'] })).statusCode, 303)
  t.match((await rowsOf(u.userId)).slice(1), [{ document: 'privacy-policy', version: 2 }, { document: 'user-agreement', version: 1 }])
  t.equal((await a.get(`${base}client/profile`)).statusCode, 200)
})

t.test('personal data: the consents and their history stream; erasing drops the IPs', async (t) => {
  const sections = privacy.personalData?.export ?? []
  const subject = { id: owner.userId, accountId: owner.accountId }
  const read = async (name: string) => {
    const section = sections.find((s) => s.name === name)
    if (section === undefined) throw new Error(`no section ${name}`)
    const rows: Array<Record<string, unknown>> = []
    for await (const row of section.query(db, subject).stream(2)) rows.push(row)
    return rows
  }
  const history = await read('consent_history')
  t.match(history, [{ document: 'privacy-policy', version: 1, decision: 'accepted', ip: '198.51.100.7' }])
  const a = await signIn(ta, owner.email, owner.password)
  await a.get(acceptPage)
  await a.post(acceptPage, { accept: ['privacy-policy:2', 'user-agreement:1'] })
  await a.get(privacyPage)
  await a.post(decisions, { document: 'sms-news', version: '1', decision: 'accept' })
  await a.post(decisions, { document: 'sms-news', version: '1', decision: 'withdraw' })
  t.equal((await read('consent_history')).length, 5)
  const consents = await read('consents')
  t.same(consents.map((c) => [c.document, c.version, c.decision]).sort(), [['privacy-policy', 2, 'accepted'], ['sms-news', 1, 'withdrawn'], ['user-agreement', 1, 'accepted']])
  await db.transaction().execute(async (trx) => {
    await privacy.personalData!.erase!(trx, { ...subject, email: owner.email, fullName: 'Olga Owner', phone: null })
  })
  t.ok((await rowsOf(owner.userId)).every((r) => r.ip === null), 'no IP left')
  t.equal((await rowsOf(owner.userId)).length, 5, 'the decisions stay')
  t.ok((await db.selectFrom('policy_decisions').select('ip').where('user_id', '!=', owner.userId).execute()).some((r) => r.ip !== null), 'others keep theirs')
})

t.test('a new version of a consent the user decided on: every page says so until they decide on it; a user who never decided is not told', async (t) => {
  const u = await freshUser()
  const a = await signIn(ta, u.email, u.password)
  const acceptAll = async (agent: Agent) => {
    const held = await agent.get(acceptPage)
    if (held.statusCode !== 200) return
    const values = [...held.body.matchAll(/name="accept" value="([^"]+)"/g)].map((m) => m[1]!)
    t.equal((await agent.post(acceptPage, { accept: values })).statusCode, 303, 'the required documents accepted')
  }
  await acceptAll(a)
  await a.get(privacyPage)
  const current = await db.selectFrom('policy_versions').select((eb) => eb.fn.max('version').as('v')).where('document', '=', 'email-news').where('effective_at', '<=', clock.now()).executeTakeFirstOrThrow()
  t.equal((await a.post(decisions, { document: 'email-news', version: String(current.v), decision: 'accept' })).statusCode, 303, 'a decision on the version in effect')
  const notice = 'A new version of a consent you decided on is in effect.'
  t.notMatch((await a.get(`${base}client/profile`)).body, notice, 'nothing new yet')

  await publish('email-news', current.v + 1, 0, { url: 'https://example.com/email-news?v=next' })
  for (const path of ['client/profile', 'client/settings', 'client/profile/sessions']) {
    t.match((await a.get(`${base}${path}`)).body, notice, `${path} says a new version is in effect`)
  }
  const never = await freshUser()
  const b = await signIn(ta, never.email, never.password)
  await acceptAll(b)
  t.notMatch((await b.get(`${base}client/profile`)).body, notice, 'a user who never decided on it is not told')

  await a.get(privacyPage)
  t.equal((await a.post(decisions, { document: 'email-news', version: String(current.v + 1), decision: 'accept' })).statusCode, 303)
  t.notMatch((await a.get(`${base}client/profile`)).body, notice, 'decided: the notice is gone')
})
