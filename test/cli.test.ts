import t from 'tap'
import { type CliResult, runCli } from './helpers/cli.ts'
import { verifyPassword } from '../src/lib/passwords.ts'
import { Agent, startTestApp } from './helpers/app.ts'

// The CLI and the app share the test database: PostgreSQL at its clone URL,
// or (embedded) the running server, which the CLI finds in DATA_DIR.
const ta = await startTestApp(t)
const { app, base, config } = ta
// The same SESSION_SECRET as the app, as a provider runs both: the deliveries
// the CLI queues are sealed with it, and the app's workers must open them.
const env = { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '', SESSION_SECRET: config.sessionSecret, PUBLIC_URL: 'https://panel.example.com/panel', BASE_PATH: '/panel' }

// Asynchronous: with the embedded database the CLI talks to this very process.
async function cli (...args: string[]): Promise<CliResult> {
  return await runCli(env, args)
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
    // A refusal is JSON, as the provider API answers; a usage error is text for a person.
    if (code === 1) t.equal(res.error?.code, 'refused', 'a refusal prints {"error": {"code", "message"}}')
    else t.equal(res.error, undefined, 'a usage error is text')
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
  t.match(missing.stderr, '--email or --id is required')
})

t.test('a user is named by exactly one of --email and --id; refusals name the flag', async (t) => {
  const db = app.deps.db
  const u = await db.selectFrom('users').select(['id', 'account_id']).where('email', '=', 'invited@example.com').executeTakeFirstOrThrow()
  let res = await cli('user:set-name', '--id', u.id, '--name', 'Ivy By Id')
  t.equal(res.status, 0, res.stderr)
  t.same(JSON.parse(res.stdout), { userId: u.id })
  t.equal((await db.selectFrom('users').select('full_name').where('id', '=', u.id).executeTakeFirstOrThrow()).full_name, 'Ivy By Id')
  res = await cli('user:permissions', '--id', u.id)
  t.equal(res.status, 0, res.stderr)
  t.match(JSON.parse(res.stdout), { userId: u.id, fullAccess: true, permissions: Array })

  const cases: Array<[string[], number, string]> = [
    [['user:disable', '--email', 'invited@example.com', '--id', u.id], 2, '--email and --id cannot be used together'],
    [['user:disable', '--id', ''], 2, '--id is required'],
    [['account:create', '--id', u.id, '--email', 'a@b.example', '--name', 'X'], 2, "Unknown option '--id'"],
    [['user:disable', '--id', 'abc'], 1, '--id: no user has the id abc'],
    [['user:delete', '--id', '999999999'], 1, '--id: no user has the id 999999999'],
    [['user:set-email', '--id', u.id, '--to', 'CLI@example.com'], 1, '--to: cli@example.com is already used by another user'],
    [['user:set-email', '--id', u.id, '--to', 'nope'], 1, '--to: "nope" is not an email address'],
    [['user:set-name', '--email', 'invited@example.com', '--name', '<b>'], 1, '--name: give a full name']
  ]
  for (const [args, code, message] of cases) {
    const r = await cli(...args)
    t.equal(r.status, code, args.join(' '))
    t.match(r.stderr, message)
    t.equal(r.stdout, '')
  }
  t.same(await db.selectFrom('users').select(['email', 'full_name', 'status']).where('id', '=', u.id).executeTakeFirstOrThrow(),
    { email: 'invited@example.com', full_name: 'Ivy By Id', status: 'active' }, 'nothing changed by the refusals')
})

t.test('provider user commands: set-email, set-name, disable, enable, permissions, delete (first user included)', async (t) => {
  const db = app.deps.db
  const owner = await db.selectFrom('users').select(['id', 'account_id']).where('email', '=', 'cli@example.com').executeTakeFirstOrThrow()
  await db.insertInto('users').values({ account_id: owner.account_id, email: 'second@example.com', full_name: 'Second User' }).execute()
  await db.insertInto('user_permissions').values({ user_id: (await db.selectFrom('users').select('id').where('email', '=', 'second@example.com').executeTakeFirstOrThrow()).id, permission: 'users.view' }).execute()

  let res = await cli('user:set-name', '--email', 'cli@example.com', '--name', 'Renamed Owner')
  t.equal(res.status, 0, res.stderr)
  res = await cli('user:set-email', '--email', 'cli@example.com', '--to', 'Owner-New@Example.com')
  t.equal(res.status, 0, res.stderr)
  t.match(JSON.parse(res.stdout), { userId: owner.id, email: 'owner-new@example.com' })
  t.same(await db.selectFrom('users').select(['email', 'full_name']).where('id', '=', owner.id).executeTakeFirstOrThrow(), { email: 'owner-new@example.com', full_name: 'Renamed Owner' })
  t.equal((await cli('user:set-email', '--email', 'owner-new@example.com', '--to', 'second@example.com')).status, 1, 'a taken address is refused')

  res = await cli('user:permissions', '--email', 'second@example.com')
  t.same(JSON.parse(res.stdout).permissions, ['users.view'])
  t.equal(JSON.parse(res.stdout).fullAccess, false)
  res = await cli('user:permissions', '--email', 'owner-new@example.com')
  t.equal(JSON.parse(res.stdout).fullAccess, true)
  t.ok(JSON.parse(res.stdout).permissions.includes('finance.pay'))

  const signedIn = new Agent(app)
  t.equal((await signedIn.logIn(base, 'owner-new@example.com', 'cli owner passphrase')).statusCode, 303)
  t.equal((await cli('user:disable', '--email', 'owner-new@example.com')).status, 0)
  t.equal((await signedIn.get(`${base}client/profile`)).statusCode, 303, 'the first user can be disabled by the provider; sessions end')
  t.equal((await new Agent(app).logIn(base, 'owner-new@example.com', 'cli owner passphrase')).statusCode, 422)
  t.equal((await cli('user:enable', '--email', 'owner-new@example.com')).status, 0)
  t.equal((await new Agent(app).logIn(base, 'owner-new@example.com', 'cli owner passphrase')).statusCode, 303)

  t.equal((await cli('user:delete', '--email', 'owner-new@example.com')).status, 0)
  t.equal((await db.selectFrom('users').select('id').where('id', '=', owner.id).execute()).length, 0)
  t.equal((await db.selectFrom('users').select('id').where('email', '=', 'second@example.com').execute()).length, 1, "the account's other users stay")
  const missing = await cli('user:delete', '--email', 'ghost@example.com')
  t.equal(missing.status, 1)
  t.match(missing.stderr, 'no user has the email ghost@example.com')
})

t.test('user:reset-2fa turns two-factor authentication off', async (t) => {
  const db = app.deps.db
  const u = await db.selectFrom('users').select('id').where('email', '=', 'second@example.com').executeTakeFirstOrThrow()
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: 'sealed', totp_last_step: '1' }).where('id', '=', u.id).execute()
  await db.insertInto('recovery_codes').values({ user_id: u.id, code_hash: 'x', created_at: new Date() }).execute()
  const res = await cli('user:reset-2fa', '--email', 'second@example.com')
  t.equal(res.status, 0, res.stderr)
  t.match(JSON.parse(res.stdout), { userId: u.id, twoFactor: false })
  t.same(await db.selectFrom('users').select(['two_factor_enabled', 'totp_secret']).where('id', '=', u.id).executeTakeFirstOrThrow(), { two_factor_enabled: false, totp_secret: null })
  t.equal((await db.selectFrom('recovery_codes').select('user_id').where('user_id', '=', u.id).execute()).length, 0)
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'totp.reset_by_provider').execute()).length, 1)
  t.equal((await cli('user:reset-2fa', '--email', 'nobody@example.com')).status, 1)
})
