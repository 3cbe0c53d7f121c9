// npm test: the whole suite with tap. Without DATABASE_URL it first starts
// ONE embedded PostgreSQL server for the run (a throw-away cluster in a
// temporary folder) and hands its URL to every test file, which then clones
// its own database from the migrated template exactly as on any other
// server. Arguments are passed on to tap (npm test -- test/cli.test.ts).
// It also compiles the provider CLI once for the run (CP_TEST_CLI: see
// test/helpers/compiled-cli.ts).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmbedded } from '../src/db/embedded.ts'
import { compileCli } from './helpers/compiled-cli.ts'

const cli = await compileCli()
const env: NodeJS.ProcessEnv = { ...process.env, CP_TEST_CLI: cli.entry }
let stopServer = async (): Promise<void> => {}
if (env.DATABASE_URL === undefined || env.DATABASE_URL === '') {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-test-pg-'))
  // Durability is worth nothing for a cluster deleted after the run.
  const server = await startEmbedded(dir, { settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' } })
  console.log('# tests on the embedded PostgreSQL (one server for the run)')
  env.DATABASE_URL = server.url
  env.CP_TEST_EMBEDDED = '1'
  stopServer = async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const tapDir = path.dirname(createRequire(import.meta.url).resolve('tap/package.json'))
const tap = path.join(tapDir, (createRequire(import.meta.url)('tap/package.json') as { bin: { tap: string } }).bin.tap)
const child = spawn(process.execPath, [tap, ...process.argv.slice(2)], { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { child.kill(signal) })
const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s === null ? 1 : 128))))
cli.remove()
await stopServer()
process.exit(code)
