import { execFile } from 'node:child_process'
import t from 'tap'
import { verifyPassword } from '../src/lib/passwords.ts'
import { Agent, startTestApp } from './helpers/app.ts'

// The CLI and the app share the test database: PostgreSQL at its clone URL,
// or (embedded) the running app's PGlite, which the CLI finds in DATA_DIR.
const ta = await startTestApp(t)
const { app, base, config } = ta
const env = { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '', PUBLIC_URL: 'https://panel.example.com/panel', BASE_PATH: '/panel' }

// Asynchronous: with the embedded database the CLI talks to this very process.
function cli (...args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

t.test('account:create with a password prints the ids and the user can log in', async (t) => {
  const res = await cli('account:create', '--email', 'Cli@Example.com', '--name', 'Cli Owner', '--password', 'cli owner passphrase')
  t.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  t.match(out, { accountId: /^\d+$/, userId: /^\d+$/ })
  t.notOk('inviteUrl' in out)
  const user = await app.deps.db.selectFrom('users').selectAll().where('id', '=', out.userId).executeTakeFirstOrThrow()
  t.equal(user.email, 'cli@example.com')
  t.equal(user.is_owner, true)
  t.ok(await verifyPassword(user.password_hash, 'cli owner passphrase'))
  t.equal((await new Agent(app).logIn(base, 'cli@example.com', 'cli owner passphrase')).statusCode, 303)
})

t.test('account:create without a password prints a single-use link built from PUBLIC_URL', async (t) => {
  const res = await cli('account:create', '--email', 'invited@example.com', '--name', 'Invited Owner')
  t.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  t.match(out.inviteUrl, /^https:\/\/panel\.example\.com\/panel\/password\/reset\/[A-Za-z0-9_-]{22}$/)
  const path = new URL(out.inviteUrl).pathname.replace('/panel/', base)
  const a = new Agent(app)
  const page = await a.get(path)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'Set your password')
  t.equal((await a.post(path, { password: 'invited owner passphrase', password_repeat: 'invited owner passphrase' })).statusCode, 303)
  t.equal((await new Agent(app).get(path)).statusCode, 404, 'single use')
  t.equal((await new Agent(app).logIn(base, 'invited@example.com', 'invited owner passphrase')).statusCode, 303)
})

t.test('bad arguments: a clear message on stderr and a non-zero exit', async (t) => {
  const cases: Array<[string[], number, RegExp]> = [
    [[], 2, /Usage: npm run cli/],
    [['account:nope'], 2, /Unknown command "account:nope"/],
    [['account:create', '--name', 'X'], 2, /--email is required/],
    [['account:create', '--email', 'a@b.example', '--name', 'X', '--colour', 'red'], 2, /Unknown option '--colour'/],
    [['account:create', '--email', 'not-an-email', '--name', 'X'], 1, /--email: "not-an-email" is not an email address/],
    [['account:create', '--email', 'cli@example.com', '--name', 'X'], 1, /already used/],
    [['account:create', '--email', 'weak@example.com', '--name', 'X', '--password', 'short'], 1, /--password: use at least 12 characters/],
    [['account:create', '--email', 'x@example.com\nBcc: y@example.com', '--name', 'X'], 1, /is not an email address/]
  ]
  for (const [args, code, message] of cases) {
    const res = await cli(...args)
    t.equal(res.status, code, args.join(' '))
    t.match(res.stderr, message)
    t.equal(res.stdout, '')
  }
  const n = await app.deps.db.selectFrom('users').select('email').execute()
  t.same(n.map((u) => u.email).sort(), ['cli@example.com', 'invited@example.com'], 'nothing else was created')
})

t.test('user:remove-phone removes a verified number the user cannot reach', async (t) => {
  const db = app.deps.db
  await db.updateTable('users').set({ phone: '+79123456789', phone_verified: true }).where('email', '=', 'cli@example.com').execute()
  const res = await cli('user:remove-phone', '--email', 'CLI@example.com')
  t.equal(res.status, 0, res.stderr)
  t.match(JSON.parse(res.stdout), { userId: /^\d+$/, phone: null })
  const row = await db.selectFrom('users').select(['phone', 'phone_verified']).where('email', '=', 'cli@example.com').executeTakeFirstOrThrow()
  t.same(row, { phone: null, phone_verified: false })
  const audit = await db.selectFrom('audit_log').select('action').where('action', '=', 'phone.removed_by_provider').execute()
  t.equal(audit.length, 1)
  const unknown = await cli('user:remove-phone', '--email', 'nobody@example.com')
  t.equal(unknown.status, 1)
  t.match(unknown.stderr, 'no user has the email nobody@example.com')
  const missing = await cli('user:remove-phone')
  t.equal(missing.status, 2)
  t.match(missing.stderr, '--email is required')
})
