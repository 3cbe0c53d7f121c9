// The server side of `npm run bench`, in its own process so that the load
// generator does not share its CPU time: the real app, plus a bare Fastify
// instance (no session, no CSRF, no plugins; the service's request log) on
// the same database pool and templates with the two in-process reference
// routes: the Profile page's bytes from memory, and the page's floor (one
// prepared select of the user's row, as the bare reference runs, rendered with
// the app's own templates: what Fastify, the log and Eta cost before the
// product's session, CSRF and guards). The app and that instance log as a
// user runs them (LOG_LEVEL, default info; serviceLogger, to /dev/null
// instead of stdout).
// Prints its ports, the bench user and the database URL as one JSON line.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Fastify from 'fastify'
import { sql } from 'kysely'
import { buildApp, OneLinePerRequest, serviceLogger } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createAccount } from '../src/features/provider/index.ts'
import { profileViewModel } from '../src/features/profile/view.ts'
import { timeZoneCaption } from '../src/lib/format.ts'
import { appNameIn, languageChoices, translator } from '../src/lib/i18n.ts'
import { initialsOf } from '../src/lib/initials.ts'
import { hashPassword } from '../src/lib/passwords.ts'
import { createEta } from '../src/plugins/view.ts'

export const BENCH_EMAIL = 'bench-owner@example.com'
export const BENCH_PASSWORD = 'benchmark passphrase'
/** The provider API's token when PROVIDER_API_TOKEN is not set for the run. */
const BENCH_API_TOKEN = 'bench-provider-api-token-0123456789abcdef'

const config = loadConfig({ PROVIDER_API_TOKEN: BENCH_API_TOKEN, ...process.env, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'cp-bench-')), PORT: '0' })
// The service's own logger (buildApp's default), writing to /dev/null:
// stdout carries the JSON line for run.ts.
const app = await buildApp(config, { logger: serviceLogger(config, '/dev/null') })
const db = app.deps.db

// Seed: one account with its owner and 49 more users with a few permissions each.
const stamp = Date.now()
const email = BENCH_EMAIL.replace('@', `+${stamp}@`)
const created = await createAccount(app.deps, { email, name: 'Bench Owner', password: BENCH_PASSWORD })
if (!created.ok) throw new Error(`createAccount: ${created.reason}`)
const hash = await hashPassword(BENCH_PASSWORD)
const users = await db.insertInto('users').values(Array.from({ length: 49 }, (_, i) => ({
  account_id: created.accountId, email: `bench-${stamp}-${i}@example.com`, full_name: `Bench User ${i}`, password_hash: hash
}))).returning('id').execute()
await db.insertInto('user_permissions').values(users.flatMap((u) => ['users.view', 'finance.view', 'support.view'].map((permission) => ({ user_id: u.id, permission })))).execute()
// Planner statistics, as autovacuum keeps them on a running service (the test
// server here runs without it): unanalysed, the session query joined users by
// a sequential scan, twice the database time per page.
await sql`analyze`.execute(db)
await app.listen({ port: 0, host: '127.0.0.1' })

const ref = Fastify({ logger: serviceLogger(config, '/dev/null'), logController: new OneLinePerRequest() })
const eta = createEta('en')
const t = translator('en')
function renderProfile (u: { email: string, full_name: string, is_owner: boolean, time_zone: string, last_login_at: Date | null, phone: string | null, phone_verified: boolean }): string {
  const user = { email: u.email, fullName: u.full_name, isOwner: u.is_owner, timeZone: u.time_zone, lastLoginAt: u.last_login_at, phone: u.phone, phoneVerified: u.phone_verified, twoFactor: false }
  return eta.render('profile/show', {
    t, lang: 'en', languages: languageChoices, appName: appNameIn(config, 'en'), base: '/', currentPath: '/client/profile', flash: undefined,
    currentUser: { fullName: u.full_name, email: u.email, restricted: false, policyUpdated: false, avatar: { file: null, initials: initialsOf(u.full_name, u.email), size: 'small' } },
    zoneCaption: timeZoneCaption('en', u.time_zone),
    nav: [{ menu: 'client', label: 'nav.profile', path: 'client/profile', current: true }],
    csrf: () => 'x'.repeat(52),
    ...profileViewModel(user, t, 'en', {}, false)
  })
}
type UserRow = Parameters<typeof renderProfile>[0]
// A named prepared statement on the app's pool, as the app's own session
// statement and the bare reference run theirs. Kysely compiles each call and
// sends it unnamed: this route took 246 µs of CPU a request through it, 155
// this way (with the request log added).
const selectUser = async (): Promise<UserRow> => {
  const { rows: [u] } = await app.deps.pool.query<UserRow>({ name: 'bench_floor_user', text: 'select email, full_name, is_owner, time_zone, last_login_at, phone, phone_verified from users where id = $1', values: [created.userId] })
  if (u === undefined) throw new Error('the bench user is gone')
  return u
}
ref.get('/ref/profile', async (request, reply) => reply.type('text/html; charset=utf-8').send(renderProfile(await selectUser())))
const bytes = Buffer.from(renderProfile(await selectUser()))
ref.get('/ref/memory', async (request, reply) => reply.type('text/html; charset=utf-8').send(bytes))
await ref.listen({ port: 0, host: '127.0.0.1' })

const port = (s: typeof app) => (s.server.address() as { port: number }).port
const databaseUrl = config.databaseUrl ?? (app.deps.pool as unknown as { options: { connectionString: string } }).options.connectionString
process.stdout.write(JSON.stringify({
  app: port(app), ref: port(ref), email, password: BENCH_PASSWORD, userId: created.userId, memberId: users[0]!.id, apiToken: config.providerApiToken, databaseUrl, embedded: config.databaseUrl === undefined, logLevel: config.logLevel
}) + '\n')

const stop = async (): Promise<void> => {
  await ref.close()
  await app.close()
  rmSync(config.dataDir, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', () => { void stop() })
process.on('SIGINT', () => { void stop() })
