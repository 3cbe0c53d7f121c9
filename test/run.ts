// npm test: the whole suite with tap. Without DATABASE_URL it first starts
// ONE embedded PostgreSQL server for the run (a throw-away cluster in a
// temporary folder) and hands its URL to every test file, which then clones
// its own database from the migrated template exactly as on any other
// server. Arguments are passed on to tap (npm test -- test/cli.test.ts).
// It also compiles the provider CLI once for the run (CP_TEST_CLI: see
// test/helpers/compiled-cli.ts), and keeps two of tap's per-process costs off
// each test file (tapBuiltForOurPlugins, PROCESSINFO_RECORDS_NOTHING).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmbedded } from '../src/db/embedded.ts'
import { compileCli } from './helpers/compiled-cli.ts'

const require = createRequire(import.meta.url)
const tap = path.join(path.dirname(require.resolve('tap/package.json')), (require('tap/package.json') as { bin: { tap: string } }).bin.tap)

/**
 * Whether tap's Test class, as built in node_modules, carries exactly the
 * plugins package.json asks for ("!@tapjs/typescript": tsx compiles our
 * TypeScript). After `npm ci` it carries tap's defaults. tap then rebuilds it
 * at the start of the run, but hands that run's test processes the node
 * options it read before the rebuild: the typescript plugin's loader, which
 * loads ts-node into every test process, about 2 s of CPU a file for nothing
 * (tsx compiles them). So the build comes first, on its own.
 */
function tapBuiltForOurPlugins (): boolean {
  const testDir = path.dirname(require.resolve('@tapjs/test/package.json'))
  const built = /export const signature = `([^`]*)`/.exec(readFileSync(path.join(testDir, 'test-built/dist/esm/index.js'), 'utf8'))?.[1]?.split('\n')
  if (built === undefined) return false
  const wanted = (require('../package.json') as { tap?: { plugin?: string[] } }).tap?.plugin ?? []
  return wanted.every((p) => p.startsWith('!') ? !built.includes(p.slice(1)) : built.includes(p))
}
if (!tapBuiltForOurPlugins()) {
  const build = spawnSync(process.execPath, [tap, 'build'], { stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

/**
 * tap's processinfo hook records every module each test process loads (it
 * reads each file again, sends its text to the main thread and counts its
 * lines), for coverage and `tap --changed`. This suite uses neither
 * (disable-coverage), so it is told to record none: about 0.8 s of CPU less
 * a test file.
 */
const PROCESSINFO_RECORDS_NOTHING = { _TAPJS_PROCESSINFO_EXCLUDE_: '/./' }

const cli = await compileCli()
const env: NodeJS.ProcessEnv = { ...process.env, ...PROCESSINFO_RECORDS_NOTHING, CP_TEST_CLI: cli.entry }
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

const child = spawn(process.execPath, [tap, ...process.argv.slice(2)], { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { child.kill(signal) })
const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s === null ? 1 : 128))))
cli.remove()
await stopServer()
process.exit(code)
