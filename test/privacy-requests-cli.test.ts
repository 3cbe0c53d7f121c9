// The provider's commands for personal-data requests (SPEC §6): JSON out,
// a clear message and exit 1 for a move the status does not allow (nothing
// changed), parallel completes do one, and the mail a move sends is
// delivered by the running service's workers.
import t from 'tap'
import { type CliResult, runCli } from './helpers/cli.ts'
import { createOwner, createUser, signIn, startTestApp } from './helpers/app.ts'
import { TestSmtp } from './helpers/smtp.ts'

const smtp = await TestSmtp.started(t)
const ta = await startTestApp(t, { env: { SMTP_URL: smtp.url } })
const { app, base, config } = ta
const db = app.deps.db
const env = { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '', SMTP_URL: smtp.url, SESSION_SECRET: 'test-session-secret-of-at-least-32-chars', PUBLIC_URL: 'http://panel.test' }

async function cli (...args: string[]): Promise<CliResult> {
  return await runCli(env, args)
}

const owner = await createOwner(ta, 'cli-owner@example.com')
const page = `${base}client/settings/privacy`

/** A user with an open request of this kind, made on the page; its id. */
async function requestOf (kind: 'deletion' | 'restriction', email: string): Promise<{ id: string, userId: string, email: string }> {
  const u = await createUser(ta, owner.accountId, email)
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  await a.postConfirmed(`${page}/requests/${kind}`, {}, u.password)
  const row = await db.selectFrom('privacy_requests').select('id').where('user_id', '=', u.userId).executeTakeFirstOrThrow()
  return { id: row.id, userId: u.userId, email: u.email }
}
const statusOf = async (id: string) => (await db.selectFrom('privacy_requests').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

t.test('requests:list prints the requests as JSON, by status on demand', async (t) => {
  const r = await requestOf('restriction', 'listed@example.com')
  const res = await cli('requests:list')
  t.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  t.match(out.requests, [{ id: r.id, kind: 'restriction', status: 'received', userId: r.userId, accountId: owner.accountId, email: r.email, createdAt: /^\d{4}-/, updatedAt: /^\d{4}-/, reason: null }])
  t.same(JSON.parse((await cli('requests:list', '--status', 'completed')).stdout), { requests: [] })
  const bad = await cli('requests:list', '--status', 'done')
  t.equal(bad.status, 1)
  t.match(bad.stderr, '--status: use one of received, in_progress, completed, rejected, lifted')
  t.equal(bad.stdout, '')
})

t.test('start, complete, lift and reject move a request as its status allows; each mails the user; wrong moves exit 1 and change nothing', async (t) => {
  const r = await requestOf('restriction', 'moved@example.com')
  const lifted = await cli('request:lift', '--id', r.id)
  t.equal(lifted.status, 1)
  t.match(lifted.stderr, `request ${r.id} is a restriction request that is received: only a completed restriction can be lifted; nothing was changed`)
  t.equal(await statusOf(r.id), 'received')

  const started = await cli('request:start', '--id', r.id)
  t.equal(started.status, 0, started.stderr)
  t.match(JSON.parse(started.stdout), { id: r.id, status: 'in_progress', email: r.email })
  const mail = await smtp.waitFor(r.email, 2)
  t.match(mail.subject, 'Your request for the restriction of your personal data: In progress', 'the service delivers what the CLI queued')

  t.equal((await cli('request:complete', '--id', r.id)).status, 0)
  t.equal((await db.selectFrom('users').select('restricted').where('id', '=', r.userId).executeTakeFirstOrThrow()).restricted, true)
  const again = await cli('request:start', '--id', r.id)
  t.equal(again.status, 1)
  t.match(again.stderr, 'only a received request can be started')
  t.equal((await cli('request:lift', '--id', r.id)).status, 0)
  t.equal(await statusOf(r.id), 'lifted')
  t.equal((await db.selectFrom('users').select('restricted').where('id', '=', r.userId).executeTakeFirstOrThrow()).restricted, false)
  await smtp.waitFor(r.email, 4)

  const d = await requestOf('deletion', 'rejected@example.com')
  const rejected = await cli('request:reject', '--id', d.id, '--reason', 'The account has unpaid invoices')
  t.equal(rejected.status, 0, rejected.stderr)
  t.match(JSON.parse(rejected.stdout), { status: 'rejected', reason: 'The account has unpaid invoices' })
  for (const [args, message] of [
    [['request:complete', '--id', d.id], 'only a received or in-progress request can be completed'],
    [['request:lift', '--id', d.id], 'only a completed restriction can be lifted'],
    [['request:reject', '--id', d.id, '--reason', 'again'], 'only a received or in-progress request can be rejected'],
    [['request:start', '--id', '999999'], '--id: no request has the id 999999']
  ] as const) {
    const res = await cli(...args)
    t.equal(res.status, 1, args.join(' '))
    t.match(res.stderr, message)
    t.equal(res.stdout, '')
  }
  t.equal(await statusOf(d.id), 'rejected', 'nothing changed')
  const events = await db.selectFrom('privacy_request_events').select('status').where('request_id', '=', d.id).execute()
  t.same(events.map((e) => e.status), ['received', 'rejected'])
})

t.test('bad arguments: the id is given with --id, a reason is required', async (t) => {
  const noId = await cli('request:complete')
  t.equal(noId.status, 2)
  t.match(noId.stderr, '--id is required.\nUsage: npm run cli -- request:complete --id REQUEST_ID')
  const positional = await cli('request:complete', '7')
  t.equal(positional.status, 2)
  const noReason = await cli('request:reject', '--id', '1')
  t.equal(noReason.status, 2)
  t.match(noReason.stderr, '--reason is required')
})

t.test('parallel completes of one request: exactly one succeeds; a deletion of the owner with other users is refused', async (t) => {
  const r = await requestOf('deletion', 'raced@example.com')
  const results = await Promise.all([cli('request:complete', '--id', r.id), cli('request:complete', '--id', r.id), cli('request:complete', '--id', r.id)])
  t.same(results.map((x) => x.status).sort(), [0, 1, 1], results.map((x) => x.stderr).join(' | '))
  t.equal((await db.selectFrom('privacy_request_events').select('id').where('request_id', '=', r.id).where('status', '=', 'completed').execute()).length, 1)
  t.equal((await db.selectFrom('users').select('email').where('id', '=', r.userId).executeTakeFirstOrThrow()).email, `deleted-${r.userId}@invalid`)

  const a = await signIn(ta, owner.email, owner.password)
  await a.get(page)
  await a.postConfirmed(`${page}/requests/deletion`, {}, owner.password)
  const row = await db.selectFrom('privacy_requests').select('id').where('user_id', '=', owner.userId).executeTakeFirstOrThrow()
  const refused = await cli('request:complete', '--id', row.id)
  t.equal(refused.status, 1)
  t.match(refused.stderr, 'the user is the first user of an account that has other users')
  t.equal(await statusOf(row.id), 'received')
})
