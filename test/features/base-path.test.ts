// Under BASE_PATH, behind a proxy: every page, link, redirect, static file
// and the session cookie live under the prefix.
import t from 'tap'
import { Agent, createOwner, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t, { env: { BASE_PATH: '/panel', PUBLIC_URL: 'https://billing.example.com', TRUST_PROXY: '127.0.0.1', FRAME_ANCESTORS: 'https://billing.example.com' } })
const { app } = ta
const owner = await createOwner(ta)
const https = { 'x-forwarded-proto': 'https' }

t.test('pages and redirects under the prefix', async (t) => {
  t.equal(ta.base, '/panel/')
  t.equal((await app.inject({ url: '/login' })).statusCode, 404)
  const a = new Agent(app, https)
  const login = await a.get('/panel/login')
  t.equal(login.statusCode, 200)
  t.match(login.body, 'action="/panel/login"')
  t.match(login.body, 'href="/panel/static/app.css"')
  const cookie = String(login.headers['set-cookie'])
  t.match(cookie, /^csrf=/, 'no __Host- prefix when the path is not /')
  t.match(cookie, /Path=\/panel\//)
  t.match(cookie, /Secure/, 'Secure when PUBLIC_URL is https')
  const res = await a.post('/panel/login', { email: owner.email, password: owner.password })
  t.equal(res.headers.location, '/panel/client/profile')
  const session = [res.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('sid='))
  t.match(session, /Path=\/panel\/; HttpOnly; Secure; SameSite=Lax/, 'the session cookie: no __Host- prefix under a path')
  const profile = await a.get('/panel/client/profile')
  t.equal(profile.statusCode, 200)
  t.match(profile.body, 'href="/panel/client/profile"')
  t.match(String(profile.headers['content-security-policy']), 'frame-ancestors https://billing.example.com')
  t.match(String(profile.headers['strict-transport-security']), 'max-age=')
  t.equal((await app.inject({ url: '/panel/static/app.css' })).statusCode, 200)
  t.equal((await app.inject({ url: '/panel/healthz' })).statusCode, 200)
})

t.test('over plain http no session cookie is sent, and the CSRF cookie stays Secure', async (t) => {
  const res = await app.inject({ url: '/panel/login' })
  const cookies = [res.headers['set-cookie'] ?? []].flat().map(String)
  t.notOk(cookies.some((c) => c.startsWith('sid=')))
  t.ok(cookies.every((c) => /; Secure/.test(c)))
})

t.test('with the default path and https the cookie is __Host-sid', async (t) => {
  const other = await startTestApp(t, { env: { PUBLIC_URL: 'https://panel.example.com', TRUST_PROXY: '127.0.0.1' } })
  const o = await createOwner(other, 'host-prefix@example.com')
  const a = new Agent(other.app, https)
  const login = await a.get('/login')
  t.match(String(login.headers['set-cookie']), /^__Host-csrf=.*; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
  const res = await a.post('/login', { email: o.email, password: o.password })
  const session = [res.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('__Host-sid='))
  t.match(session, /^__Host-sid=.*; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
})
