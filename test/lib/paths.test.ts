// safeReturnTo: the one gate for every redirect target taken from a request.
import t from 'tap'
import { languageReturnTo, safeReturnTo } from '../../src/lib/paths.ts'

t.test('attacks never leave the origin or BASE_PATH', async (t) => {
  for (const base of ['/', '/panel/']) {
    const payloads = ['//x', '/.//x', '/%2e//x', '/%2E//x', '/a/..//x', '\\\\x', '/\\x', '\\/x', 'https://x', 'http:x', '//x/%2e%2e', '/\t/x', 'javascript:alert(1)', `${base}..//x`, `${base}%2e%2e//x`, `${base}a/../..//x`]
    for (const p of payloads) {
      const r = safeReturnTo(base, p)
      t.ok(r === undefined || (r.startsWith(base) && !r.startsWith('//') && !r.includes('\\')), `${base} ${JSON.stringify(p)} → ${String(r)}`)
      if (r !== undefined) t.equal(new URL(r, 'https://panel.example').host, 'panel.example', `${JSON.stringify(p)} stays on the origin`)
    }
  }
})

t.test('local paths are normalised and kept', async (t) => {
  t.equal(safeReturnTo('/', '/client/users?after=5'), '/client/users?after=5')
  t.equal(safeReturnTo('/', '/client//users'), '/client/users')
  t.equal(safeReturnTo('/', '/client/./x/../users'), '/client/users')
  t.equal(safeReturnTo('/panel/', '/panel/client/profile'), '/panel/client/profile')
  t.equal(safeReturnTo('/panel/', '/panel/client/%2e%2e/%2e%2e/../other'), undefined, 'climbing out of BASE_PATH is refused')
  t.equal(safeReturnTo('/panel/', '/other'), undefined)
  t.equal(safeReturnTo('/', '/login'), undefined, 'never back to the login page')
  t.equal(safeReturnTo('/', '/logout'), undefined)
  t.equal(safeReturnTo('/', ''), undefined)
  t.equal(safeReturnTo('/', 42), undefined)
})

t.test('through the login form: every payload lands on this origin', async (t) => {
  const { startTestApp, createOwner, Agent } = await import('../helpers/app.ts')
  const ta = await startTestApp(t)
  const owner = await createOwner(ta)
  const payloads = ['/.//x', '/%2e//x', '/a/..//x', '\\\\x', '/\\x', '//x', 'https://x']
  for (const p of payloads) {
    const a = new Agent(ta.app)
    await a.get(`${ta.base}login?return_to=${encodeURIComponent(p)}`)
    const res = await a.post(`${ta.base}login`, { email: owner.email, password: owner.password, return_to: p })
    t.equal(res.statusCode, 303, p)
    const location = String(res.headers.location)
    t.ok(location.startsWith('/') && !location.startsWith('//') && !location.includes('\\'), `login with return_to ${JSON.stringify(p)} → ${location}`)
  }
})

t.test('the language switch goes back to the page it was on, the login page included, and nowhere else', async (t) => {
  for (const base of ['/', '/panel/']) {
    t.equal(languageReturnTo(base, `${base}login`), `${base}login`)
    t.equal(languageReturnTo(base, `${base}login?return_to=${encodeURIComponent(`${base}client/users`)}&signed_out=1`), `${base}login?return_to=${encodeURIComponent(`${base}client/users`)}`, 'the login page keeps where to go after it')
    t.equal(languageReturnTo(base, `${base}login?return_to=${encodeURIComponent('//evil.test/')}`), `${base}login`, 'its return_to is checked again')
    t.equal(languageReturnTo(base, `${base}password/forgot`), `${base}password/forgot`)
    for (const p of ['//evil.test', 'https://evil.test/', `${base}..//evil.test`, '/\\evil.test', undefined, '', 42]) {
      const r = languageReturnTo(base, p)
      t.ok(r.startsWith(base) && new URL(r, 'https://panel.example').host === 'panel.example', `${base} ${JSON.stringify(p)} → ${r}`)
    }
  }
})
