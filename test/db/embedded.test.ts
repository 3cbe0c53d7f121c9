// The embedded PostgreSQL as `npm start` and the CLI use it: a real server
// from npm in DATA_DIR/postgres, found again after a crash, stopped with the
// service. Each test uses a cluster of its own in a temporary DATA_DIR.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/db/database.ts'
import { findRunningEmbedded, startEmbedded } from '../../src/db/embedded.ts'
import { nodeCommand } from '../helpers/child-env.ts'
import { queryOnce } from '../helpers/db.ts'
import { eventually } from '../helpers/wait.ts'

function dataDir (t: { teardown: (fn: () => Promise<void>) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-embedded-'))
  t.teardown(async () => {
    // Whatever a test left running on this cluster is stopped before the folder goes.
    if (await findRunningEmbedded(dir) !== undefined) await (await startEmbedded(dir)).stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

async function query (url: string, text: string): Promise<Array<Record<string, unknown>>> {
  return (await queryOnce(url, text)).rows
}

async function portOpen (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.end(); resolve(true) })
    s.on('error', () => resolve(false))
  })
}

const pidFile = (dir: string): string => path.join(dir, 'postgres', 'postmaster.pid')

t.test('creates a password-protected cluster on loopback, keeps data across restarts, stops', async (t) => {
  const dir = dataDir(t)
  const first = await startEmbedded(dir)
  const url = new URL(first.url)
  t.equal(url.hostname, '127.0.0.1')
  t.equal(decodeURIComponent(url.password), readFileSync(path.join(dir, 'postgres-password'), 'utf8').trim(), 'the generated password is kept in DATA_DIR')
  t.equal(statSync(path.join(dir, 'postgres-password')).mode & 0o777, 0o600)
  const [settings] = await query(first.url, "select current_setting('server_version_num')::int as v, current_setting('listen_addresses') as l, current_setting('unix_socket_directories') as s, lower('ÄБВ') as lower")
  t.ok(Number(settings!.v) >= 180000, 'PostgreSQL 18')
  t.same({ l: settings!.l, s: settings!.s, lower: settings!.lower }, { l: '127.0.0.1', s: '', lower: 'äбв' })

  const noPassword = new URL(first.url)
  noPassword.password = 'wrong'
  await t.rejects(query(noPassword.toString(), 'select 1'), /password authentication failed/, 'a wrong password is refused')

  await query(first.url, 'create table kept (v text); insert into kept values (\'still here\')')
  await first.stop()
  t.notOk(existsSync(pidFile(dir)), 'stopped: no postmaster.pid')
  t.notOk(await portOpen(Number(url.port)), 'stopped: the port is closed')

  const second = await startEmbedded(dir)
  t.same(await query(second.url, 'select v from kept'), [{ v: 'still here' }], 'the data survives a restart')
  await second.stop()
})

t.test('a server left running by a crashed process is adopted, not started twice', async (t) => {
  const dir = dataDir(t)
  const orphan = await startEmbedded(dir) // its owner "dies" without stopping it
  const adopted = await startEmbedded(dir)
  t.equal(adopted.url, orphan.url, 'the running server is used')
  t.equal(await findRunningEmbedded(dir), orphan.url, 'the CLI finds it too')
  await adopted.stop()
  t.notOk(existsSync(pidFile(dir)), 'the adopter stops it on its shutdown')
  t.equal(await findRunningEmbedded(dir), undefined)
})

t.test('a stale postmaster.pid (process gone, or the PID reused by another program) is removed', async (t) => {
  const dir = dataDir(t)
  const first = await startEmbedded(dir)
  await first.stop()
  const stale = (pid: number): string => [String(pid), path.join(dir, 'postgres'), '1700000000', '54321', '', '127.0.0.1', '0 0', 'ready   ', ''].join('\n')
  // A PID that no longer exists: the highest possible one is never in use here.
  writeFileSync(pidFile(dir), stale(4194303))
  t.equal(await findRunningEmbedded(dir), undefined, 'a dead PID is not a running server')
  writeFileSync(pidFile(dir), stale(process.pid))
  const started = await startEmbedded(dir)
  t.not(new URL(started.url).port, '54321', 'a live PID that is not PostgreSQL (this test) does not block the start')
  t.same(await query(started.url, 'select 1 as ok'), [{ ok: 1 }])
  await started.stop()
})

t.test('the CLI starts the server itself when the service is stopped, and stops it afterwards', async (t) => {
  const dir = dataDir(t)
  const cli = await openDatabase({ databaseUrl: undefined, dataDir: dir }, { reuseRunning: true })
  t.equal(cli.embedded, true)
  await cli.db.selectNoFrom((eb) => eb.val(1).as('one')).execute()
  await cli.close()
  t.equal(await findRunningEmbedded(dir), undefined, 'nothing is left running')

  const service = await startEmbedded(dir)
  const second = await openDatabase({ databaseUrl: undefined, dataDir: dir }, { reuseRunning: true })
  t.equal(second.url, service.url, "the CLI uses the service's server")
  await second.close()
  t.equal(await findRunningEmbedded(dir), service.url, "closing the CLI leaves the service's server running")
  await service.stop()
})

t.test('two services on one DATA_DIR: the first to close leaves the server to the other, the last stops it', async (t) => {
  const dir = dataDir(t)
  const first = await openDatabase({ databaseUrl: undefined, dataDir: dir })
  const second = await openDatabase({ databaseUrl: undefined, dataDir: dir })
  t.equal(second.url, first.url, 'the second adopts the running server')
  await first.db.selectNoFrom((eb) => eb.val(1).as('one')).execute()
  await second.db.selectNoFrom((eb) => eb.val(1).as('one')).execute()
  await first.close()
  t.same(await second.db.selectNoFrom((eb) => eb.val(2).as('two')).execute(), [{ two: 2 }], 'the other still works')
  await second.close()
  t.equal(await findRunningEmbedded(dir), undefined, 'the last one stopped it')
})

t.test('npm start on the embedded database answers /healthz and stops PostgreSQL on SIGTERM', async (t) => {
  const dir = dataDir(t)
  // PORT=0: the service takes a free port itself and names it in its start
  // line. A port picked here and freed for it was taken by another socket
  // meanwhile once (EADDRINUSE): the start runs initdb first, seconds in
  // which the suite's other files open and close many connections.
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'warn' }
  delete env.DATABASE_URL
  const child = spawn(...nodeCommand(['--import', 'tsx', 'src/server.ts'], env), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  // The start line (generous ceiling: the first start runs initdb), or what the service printed if it never comes or it exits.
  const port = await eventually('the start line', () => {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before it listened: ${output}`)
    return output.includes(`on the embedded PostgreSQL in ${dir}.`) ? /is listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1] : undefined
  }, () => output)
  t.ok(Number(port) > 0, 'names the port it took and says it runs on the embedded PostgreSQL in DATA_DIR')
  const health = await fetch(`http://127.0.0.1:${port}/healthz`)
  t.equal(health.status, 200, 'the service answers /healthz')
  const url = await findRunningEmbedded(dir)
  t.ok(url, 'PostgreSQL runs while the service does')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'a clean exit on SIGTERM')
  t.notOk(existsSync(pidFile(dir)), 'PostgreSQL stopped with the service')
  t.notOk(await portOpen(Number(new URL(url!).port)))
})

t.test('two processes starting at once on a new DATA_DIR share one cluster and one password', async (t) => {
  const dir = dataDir(t)
  const [a, b] = await Promise.all([startEmbedded(dir), startEmbedded(dir)])
  t.equal(a.url, b.url, 'the same server, found by both')
  t.same(await query(a.url, 'select 1 as one'), [{ one: 1 }])
  t.same(readdirSync(dir).filter((f) => f.startsWith('postgres')).sort(), ['postgres', 'postgres-password'], 'no cluster left aside')
  await a.stop()
})

t.test('a secret file made by two processes at once ends the same for both', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-secret-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'secret')
  const script = `import { readOrCreateSecret } from ${JSON.stringify(path.resolve('src/lib/secret-file.ts'))}
    process.stdout.write(readOrCreateSecret(${JSON.stringify(file)}, () => String(process.pid) + 'x'.repeat(40)))`
  const run = async () => await new Promise<string>((resolve, reject) => {
    const child = spawn(...nodeCommand(['--import', 'tsx', '--input-type=module', '-e', script], process.env), { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.on('close', (code) => code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)))
  })
  for (let round = 0; round < 5; round++) {
    rmSync(file, { force: true })
    const seen = await Promise.all([run(), run(), run(), run()])
    t.equal(new Set(seen).size, 1, `round ${round}: one secret for all`)
    t.equal(readFileSync(file, 'utf8').trim(), seen[0])
  }
  t.same(readdirSync(dir), ['secret'], 'nothing left aside')
})
