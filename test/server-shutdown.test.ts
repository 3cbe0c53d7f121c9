// The service as started in production (src/server.ts) on PostgreSQL at
// DATABASE_URL: SIGTERM while a request is in flight (its body still being
// uploaded) lets that request finish with its full answer, then the process
// exits with 0. (The embedded PostgreSQL's stop on SIGTERM: test/db/embedded.test.ts.)
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { nodeCommand } from './helpers/child-env.ts'
import { createTestDatabase } from './helpers/db.ts'
import { slowPost } from './helpers/slow-request.ts'
import { eventually } from './helpers/wait.ts'

t.test('SIGTERM: the request in flight gets its full answer, then exit 0', async (t) => {
  const database = await createTestDatabase()
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-shutdown-'))
  t.teardown(async () => {
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  // PORT=0: the system chooses a port no socket uses, and the service says which. A port
  // found free beforehand can be taken meanwhile (a connection's local port) and the listen fail.
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info', SESSION_SECRET: 'test-session-secret-of-at-least-32-chars' }
  const child = spawn(...nodeCommand(['--import', 'tsx', 'src/server.ts'], env), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  // 'close', not 'exit': by then stdout and stderr have been read to the end.
  let closed: { code: number | null } | undefined
  child.on('close', (code) => { closed = { code } })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const port = await eventually('the service to say its port', () => {
    const m = output.match(/is listening on http:\/\/127\.0\.0\.1:(\d+)/)
    return m === null ? undefined : Number(m[1])
  }, () => output)
  const origin = `http://127.0.0.1:${port}`

  await eventually('the service to be ready', async () => {
    const res = await fetch(`${origin}/readyz`).catch(() => undefined)
    return res?.status === 200 ? res : undefined
  }, () => output)

  const login = await fetch(`${origin}/login`)
  const cookie = String(login.headers.get('set-cookie')).split(';')[0]!
  const token = (await login.text()).match(/name="_csrf" value="([^"]+)"/)![1]!
  const body = new URLSearchParams({ _csrf: token, email: 'nobody@example.com', password: 'not the right one at all' }).toString()
  // Returns once the service has the request (100 Continue) and half its body.
  const upload = await slowPost(port, '/login', { cookie }, body)

  child.kill('SIGTERM')
  await eventually('the service to stop taking connections', async () => await new Promise<true | undefined>((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(undefined) })
    s.once('error', () => resolve(true))
  }), () => output)
  t.equal(child.exitCode, null, 'still running: the request is in flight')

  const answer = await upload.finish()
  t.equal(answer.status, 422, 'the full answer to the sign-in')
  t.match(answer.body, 'Wrong email or password.')
  t.match(answer.body, /<\/html>\s*$/, 'the whole page')
  t.equal((await eventually('the service to exit', () => closed, () => output)).code, 0, 'a clean exit')
  t.match(output, /shutting down/)
  t.match(output, /"msg":"stopped"/)
})
