// Graceful close (app.close, what SIGTERM runs): a request in flight when the
// close begins gets its full answer, with the database still there; a job
// running then completes; only then do the queue and the pool close. The
// same through a real process and SIGTERM: test/server-shutdown.test.ts.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import t from 'tap'
import type { OutgoingMail } from '../../src/lib/mail.ts'
import { Agent, createOwner, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'
import { slowPost } from '../helpers/slow-request.ts'

t.test('a request in flight and a running job both finish before the close does', async (t) => {
  let entered: OutgoingMail | undefined
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  const ta = await startTestApp(t, {
    build: {
      // The mail job: it holds until the test lets it go.
      sendMail: async (mail) => {
        entered = mail
        await released
      }
    }
  })
  const owner = await createOwner(ta)
  const { app } = ta

  // A job starts: a password reset mail, held in sendMail.
  const a = new Agent(app)
  await a.get('/password/forgot')
  t.equal((await a.post('/password/forgot', { email: owner.email })).statusCode, 303)
  await eventually('the mail job to start', () => entered)

  // A sign-in whose body is still being uploaded when the close begins.
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const login = await fetch(`http://127.0.0.1:${port}/login`)
  const cookie = String(login.headers.get('set-cookie')).split(';')[0]!
  const token = (await login.text()).match(/name="_csrf" value="([^"]+)"/)![1]!
  const body = new URLSearchParams({ _csrf: token, email: owner.email, password: owner.password }).toString()
  // Returns once the server has the request (100 Continue) and half its body.
  const upload = await slowPost(port, '/login', { cookie }, body)

  let closed = false
  const closing = app.close().then(() => { closed = true })
  await eventually('the listener to close', async () => await refused(port) ? true : undefined)
  t.equal(closed, false, 'the close waits for the request')

  const answer = await upload.finish()
  t.equal(answer.status, 303, 'the request in flight gets its full answer')
  t.equal(answer.headers.location, '/client/profile', 'a real sign-in, with the database still open')
  t.ok([answer.headers['set-cookie'] ?? []].flat().some((c) => c.startsWith('sid=')), 'with its session cookie')
  t.equal(closed, false, 'the close still waits for the running job')

  release()
  await eventually('the close to end once the job is let go', () => closed ? true : undefined)
  await closing
  t.equal(entered?.to, owner.email)

  const c = new pg.Client({ connectionString: ta.config.databaseUrl })
  await c.connect()
  t.teardown(() => c.end())
  const deliveries = await c.query<{ status: string }>("select status from deliveries where channel = 'mail' and user_id = $1", [owner.userId])
  t.same(deliveries.rows, [{ status: 'sent' }], 'the job completed and recorded its delivery as sent')
  const sessions = await c.query('select 1 from sessions where user_id = $1', [owner.userId])
  t.equal(sessions.rowCount, 1, 'the session of the sign-in made during the close is stored')
  const active = await c.query("select name from pgboss.job where state = 'active'")
  t.same(active.rows, [], 'no job left half done')
})

/** True when nothing accepts connections on the port any more. */
async function refused (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(false) })
    s.once('error', () => resolve(true))
  })
}

t.test('during the drain, a request arriving on an open connection (/readyz) gets 503 while the one in flight is answered', async (t) => {
  const ta = await startTestApp(t)
  const { app } = ta
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const login = await fetch(`http://127.0.0.1:${port}/login`)
  const cookie = String(login.headers.get('set-cookie')).split(';')[0]!
  const token = (await login.text()).match(/name="_csrf" value="([^"]+)"/)![1]!
  const body = new URLSearchParams({ _csrf: token, email: 'nobody@example.com', password: 'not the right one at all' }).toString()

  // One keep-alive connection: a sign-in whose body is half sent, then (pipelined behind it) /readyz.
  const socket = net.connect(port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (d: string) => { received += d })
  let ended = false
  socket.once('close', () => { ended = true })
  socket.write(`POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`)
  await eventually('100 Continue', () => received.includes('100 Continue') ? true : undefined, () => received)
  const half = Math.floor(body.length / 2)
  socket.write(body.slice(0, half))

  let closed = false
  const closing = app.close().then(() => { closed = true })
  await eventually('the listener to close', async () => await refused(port) ? true : undefined)
  socket.write(body.slice(half) + 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
  await eventually('the server to end the connection', () => ended ? true : undefined, () => received)
  await eventually('the close to end', () => closed ? true : undefined)
  await closing

  const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1])
  t.same(statuses, ['100', '422', '503'], 'the sign-in gets its answer, /readyz behind it 503')
  t.match(received, 'Wrong email or password.')
  t.match(received, /<\/html>\s*\r?\n?HTTP\/1\.1 503/, 'the whole page before the 503')
  t.match(received.slice(received.lastIndexOf('HTTP/1.1 503')), /connection: close/i)
})
