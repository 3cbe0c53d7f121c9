// The provider CLI: npm run cli -- <command> [--option value ...]
// Features declare the commands (src/lib/commands.ts); this file parses
// argv against them, opens the database and prints. JSON on stdout on
// success; errors go to stderr with a non-zero exit (2: bad arguments,
// 1: the operation failed).
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.ts'
import { openDatabase } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { features } from './features/index.ts'
import { providerDeps } from './provider-deps.ts'
import type { Command, CommandValues } from './lib/commands.ts'
import type { Deps } from './types.ts'

const commands: readonly Command[] = features.flatMap((f) => f.commands ?? [])

class UsageError extends Error {}

function usage (): string {
  return 'Usage: npm run cli -- <command> [options]\nCommands:\n' + commands.map((c) => `  ${c.name} ${c.usage}`).join('\n')
}

/** The rules parseArgs does not know: required options, and exactly one of a group. */
function missing (command: Command, values: CommandValues): string | undefined {
  for (const name of command.required ?? []) {
    if (values[name] === undefined || values[name] === '') return `--${name} is required.`
  }
  for (const group of command.exactlyOne ?? []) {
    const given = group.filter((name) => values[name] !== undefined)
    if (given.length === 0) return `${group.map((n) => `--${n}`).join(' or ')} is required.`
    if (given.length > 1) return `${given.map((n) => `--${n}`).join(' and ')} cannot be used together: give one.`
    if (values[given[0]!] === '') return `--${given[0]!} is required.`
  }
  return undefined
}

function parse (argv: string[]): { command: Command, values: CommandValues } {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === 'help') throw new UsageError(usage())
  const command = commands.find((c) => c.name === name)
  if (command === undefined) throw new UsageError(`Unknown command "${name}".\n${usage()}`)
  const commandUsage = `Usage: npm run cli -- ${command.name} ${command.usage}`
  let values: CommandValues
  try {
    const options = Object.fromEntries(command.options.map((o) => [o, { type: 'string' as const }]))
    values = parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${commandUsage}`)
  }
  const problem = missing(command, values)
  if (problem !== undefined) throw new UsageError(`${problem}\n${commandUsage}`)
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
  let deps: Deps | undefined
  try {
    await migrateToLatest(database.db)
    deps = await providerDeps(config, database)
    const result = await parsed.command.run(deps, parsed.values)
    // Refused: {"error": {"code", "message"}} as the provider API answers, for scripts to read.
    if (!result.ok) { console.error(JSON.stringify({ error: { code: result.code ?? 'refused', message: result.error } })); return 1 }
    console.log(JSON.stringify(result.out))
    return 0
  } finally {
    await deps?.jobs.stop()
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
