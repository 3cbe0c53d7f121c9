// The provider CLI: npm run cli -- <command> [--option value ...]
// Prints JSON on success; errors go to stderr with a non-zero exit
// (2: bad arguments, 1: the operation failed).
import { parseArgs } from 'node:util'
import { type Config, ConfigError, loadConfig } from './config.ts'
import { openDatabase } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { createAccount } from './features/accounts/service.ts'
import { findUserByEmail } from './features/auth/queries.ts'
import { issueInviteLink } from './features/auth/service.ts'
import { removePhoneByProvider } from './features/phone/service.ts'
import { providerDelete, type ProviderResult, providerSetEmail, providerSetName, providerSetStatus } from './features/users/provider.ts'
import { effectivePermissions } from './features/users/service.ts'
import { resetTwoFactorByProvider } from './features/two-factor/service.ts'
import { systemClock } from './lib/clock.ts'

class UsageError extends Error {}

const commands: Record<string, { usage: string, options: Record<string, { type: 'string' }>, required: string[] }> = {
  'account:create': {
    usage: 'account:create --email EMAIL --name "FULL NAME" [--password PASSWORD]',
    options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
    required: ['email', 'name']
  },
  'user:remove-phone': {
    usage: 'user:remove-phone --email EMAIL',
    options: { email: { type: 'string' } },
    required: ['email']
  },
  'user:set-email': { usage: 'user:set-email --email EMAIL --to NEW_EMAIL', options: { email: { type: 'string' }, to: { type: 'string' } }, required: ['email', 'to'] },
  'user:set-name': { usage: 'user:set-name --email EMAIL --name "FULL NAME"', options: { email: { type: 'string' }, name: { type: 'string' } }, required: ['email', 'name'] },
  'user:disable': { usage: 'user:disable --email EMAIL', options: { email: { type: 'string' } }, required: ['email'] },
  'user:enable': { usage: 'user:enable --email EMAIL', options: { email: { type: 'string' } }, required: ['email'] },
  'user:delete': { usage: 'user:delete --email EMAIL', options: { email: { type: 'string' } }, required: ['email'] },
  'user:permissions': { usage: 'user:permissions --email EMAIL', options: { email: { type: 'string' } }, required: ['email'] },
  'user:reset-2fa': { usage: 'user:reset-2fa --email EMAIL', options: { email: { type: 'string' } }, required: ['email'] }
}

type Db = Awaited<ReturnType<typeof openDatabase>>['db']
type Outcome = { ok: true, out: Record<string, unknown> } | { ok: false, error: string }

async function run (command: string, values: Record<string, string | undefined>, db: Db, config: Config): Promise<Outcome> {
  const deps = { db, clock: systemClock, config }
  if (command === 'account:create') {
    const result = await createAccount(db, { email: values.email!, name: values.name!, password: values.password }, systemClock.now())
    if (!result.ok) return result
    const out: Record<string, unknown> = { accountId: result.accountId, userId: result.userId }
    if (values.password === undefined) out.inviteUrl = await issueInviteLink(deps, result.userId)
    return { ok: true, out }
  }
  const email = values.email!
  const asOutcome = (r: ProviderResult, out: Record<string, unknown> = {}): Outcome => r.ok ? { ok: true, out: { userId: r.userId, ...out } } : r
  switch (command) {
    case 'user:set-email': return asOutcome(await providerSetEmail(deps, email, values.to!), { email: values.to!.trim().toLowerCase() })
    case 'user:set-name': return asOutcome(await providerSetName(deps, email, values.name!))
    case 'user:disable': return asOutcome(await providerSetStatus(deps, email, 'disabled'), { status: 'disabled' })
    case 'user:enable': return asOutcome(await providerSetStatus(deps, email, 'active'), { status: 'active' })
    case 'user:delete': return asOutcome(await providerDelete(deps, email), { deleted: true })
    case 'user:reset-2fa': return asOutcome(await resetTwoFactorByProvider(deps, email), { twoFactor: false })
  }
  const user = await findUserByEmail(db, email)
  if (user === undefined) return { ok: false, error: `--email: no user has the email ${email}` }
  if (command === 'user:permissions') return { ok: true, out: { userId: user.id, ...await effectivePermissions(deps, user.id) } }
  await removePhoneByProvider(deps, user.id)
  return { ok: true, out: { userId: user.id, phone: null } }
}

function usage (): string {
  return 'Usage: npm run cli -- <command> [options]\nCommands:\n' + Object.values(commands).map((c) => `  ${c.usage}`).join('\n')
}

function parse (argv: string[]): { command: string, values: Record<string, string | undefined> } {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === 'help') throw new UsageError(usage())
  const spec = commands[command]
  if (spec === undefined) throw new UsageError(`Unknown command "${command}".\n${usage()}`)
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({ args: rest, options: spec.options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nUsage: npm run cli -- ${spec.usage}`)
  }
  for (const name of spec.required) {
    if (values[name] === undefined || values[name] === '') throw new UsageError(`--${name} is required.\nUsage: npm run cli -- ${spec.usage}`)
  }
  return { command, values }
}

async function main (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parse(argv)
  } catch (err) {
    if (err instanceof UsageError) { console.error(err.message); return 2 }
    throw err
  }
  const config = loadConfig(process.env)
  const database = await openDatabase(config, { reuseRunning: true })
  try {
    await migrateToLatest(database.db)
    const result = await run(parsed.command, parsed.values, database.db, config)
    if (!result.ok) { console.error(result.error); return 1 }
    console.log(JSON.stringify(result.out))
    return 0
  } finally {
    await database.close()
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`)
    process.exitCode = 2
  } else {
    console.error(err instanceof Error ? err.message : String(err))
    process.exitCode = 1
  }
}
