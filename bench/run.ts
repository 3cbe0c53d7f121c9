// npm run bench: the signed-in Profile page against a bare reference in its
// own process (raw `pg`, one primary-key select, a template compiled from the
// page's own bytes: bench/reference.ts), the in-process references of
// bench/server.ts (the app's templates on the app's pool, and from memory),
// autocannon with 50 connections for 10 s each (a route and its reference in
// alternating slices: drivePair); then the Profile page again
// while 20 clients log in continuously. `npm run bench -- --scale` runs
// bench/scale.ts instead, `npm run bench -- --export` bench/export.ts (the
// personal-data export of 100 000 activity rows: time and RSS), `--cpu`
// bench/cpu.ts (one page's CPU time and allocation, in-process). Each row
// gives the CPU the serving process and the database spent per request.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'

const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 50
const LOGIN_CLIENTS = 20

interface Ports { app: number, ref: number, email: string, password: string, userId: string, memberId: string, apiToken: string, databaseUrl: string, embedded: boolean, logLevel: string }
interface Row { name: string, rps: number, p50: number, p99: number, errors: number, non2xx: number, cpuUs: number | undefined, dbCpuUs: number | undefined }

/** CPU time (user + system) a process has used, in µs; undefined where /proc is not there. */
function cpuOf (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000 // clock ticks of 10 ms
  } catch {
    return undefined
  }
}

/**
 * CPU time of each PostgreSQL process on the machine (the embedded server's
 * or the local one's), in µs by pid: what the database spends on a route, as
 * far as nothing else uses PostgreSQL meanwhile. undefined where /proc is
 * not there.
 */
function postgresCpu (): Map<number, number> | undefined {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return undefined
  }
  const cpu = new Map<number, number>()
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') cpu.set(Number(pid), cpuOf(Number(pid)) ?? 0)
    } catch {
      // the process ended meanwhile
    }
  }
  return cpu
}

/** What the PostgreSQL processes used between two readings; a backend that ended meanwhile takes its time with it (undercounted, never negative). */
function postgresCpuSince (before: Map<number, number> | undefined): number | undefined {
  const after = postgresCpu()
  if (before === undefined || after === undefined) return undefined
  let used = 0
  for (const [pid, cpu] of after) used += cpu - Math.min(cpu, before.get(pid) ?? 0)
  return used
}

/** A child running a bench/*.ts file; resolves with the JSON line it prints when ready. */
async function start<T> (file: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess, ready: T }> {
  // BENCH_NODE_ARGS: node options for the children (e.g. --cpu-prof --cpu-prof-dir=DIR, not allowed in NODE_OPTIONS).
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'], env })
  const ready = await new Promise<T>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as T))
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)))
  })
  child.stdout.resume() // never let a full pipe stall the child
  return { child, ready }
}

function cookiesOf (res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
}

/** The page with its CSRF tokens blanked: the one part allowed to differ. */
const withoutCsrf = (html: string): string => html.replace(/(name="_csrf" value=")[^"]*"/g, '$1"')

function firstDifference (a: string, b: string): string {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return `at byte ${i}: app ${JSON.stringify(a.slice(i, i + 60))}, reference ${JSON.stringify(b.slice(i, i + 60))}`
}

/** Drives url; cpuUs: the serving process's CPU per request, less sensitive to the load beside it than req/s. */
async function drive (name: string, url: string, headers: Record<string, string> = {}, pid?: number, duration = DURATION): Promise<Row> {
  const before = cpuOf(pid)
  const dbBefore = postgresCpu()
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers })
  const after = cpuOf(pid)
  const db = postgresCpuSince(dbBefore)
  const per = (used: number | undefined) => used === undefined || r.requests.total === 0 ? undefined : used / r.requests.total
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, cpuUs: per(before === undefined || after === undefined ? undefined : after - before), dbCpuUs: per(db) }
}

const ROUNDS = 3

/**
 * A route and its reference, driven in turn: ROUNDS slices of DURATION / 2
 * each, alternating, so that whatever else the machine does in the meantime
 * (it has two cores, shared with the database and the load generator) falls
 * on both alike. req/s and CPU per request are over all slices; p50 and p99
 * the median slice's; `ratios` each round's req/s ratio (route / reference),
 * to show the spread.
 */
async function drivePair (a: { name: string, url: string, headers?: Record<string, string>, pid?: number }, ref: { name: string, url: string, headers?: Record<string, string>, pid?: number }): Promise<{ route: Row, reference: Row, ratios: number[] }> {
  const slices: { route: Row[], reference: Row[] } = { route: [], reference: [] }
  for (let i = 0; i < ROUNDS; i++) {
    slices.reference.push(await drive(ref.name, ref.url, ref.headers, ref.pid, DURATION / 2))
    slices.route.push(await drive(a.name, a.url, a.headers, a.pid, DURATION / 2))
  }
  const merge = (rows: Row[]): Row => {
    const median = (f: (r: Row) => number) => [...rows].map(f).sort((x, y) => x - y)[Math.floor(rows.length / 2)]!
    // Weighted by each slice's requests: CPU over all of them.
    const perRequest = (f: (r: Row) => number | undefined) => rows.every((r) => f(r) !== undefined) ? rows.reduce((sum, r) => sum + f(r)! * r.rps, 0) / rows.reduce((sum, r) => sum + r.rps, 0) : undefined
    return { name: rows[0]!.name, rps: rows.reduce((sum, r) => sum + r.rps, 0) / rows.length, p50: median((r) => r.p50), p99: median((r) => r.p99), errors: rows.reduce((sum, r) => sum + r.errors, 0), non2xx: rows.reduce((sum, r) => sum + r.non2xx, 0), cpuUs: perRequest((r) => r.cpuUs), dbCpuUs: perRequest((r) => r.dbCpuUs) }
  }
  return { route: merge(slices.route), reference: merge(slices.reference), ratios: slices.route.map((r, i) => r.rps / slices.reference[i]!.rps) }
}

/**
 * The figures, one row a route. CPU µs/req: the serving process's; DB µs/req:
 * every PostgreSQL process's (postgresCpu) over the same requests.
 */
function printTable (rows: Row[]): void {
  const pad = (s: string, n: number) => s.padEnd(n)
  const us = (v: number | undefined): string => v === undefined ? '-' : v.toFixed(0)
  console.log(`\n${pad('route', 44)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('CPU µs/req', 12)}${pad('DB µs/req', 11)}errors/non-2xx`)
  for (const r of rows) {
    console.log(`${pad(r.name, 44)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(us(r.cpuUs), 12)}${pad(us(r.dbCpuUs), 11)}${r.errors}/${r.non2xx}`)
  }
}

const spread = (ratios: number[]): string => `rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}`

const API_ONLY = process.argv.includes('--api')

/**
 * The provider API's GET /users/{id}/permissions (what the billing front end
 * asks on every page) against a one-query reference in its own process
 * (bench/permissions-reference.ts), checked for the same JSON first; and
 * that reference on Fastify with the service's request log
 * (bench/permissions-fastify.ts): the floor that the framework and the log
 * set, to tell their cost from the product's.
 */
async function benchPermissions (ports: Ports, appUrl: string, children: ChildProcess[], appPid: number | undefined): Promise<void> {
  const env = { ...process.env, BENCH_PERMISSIONS_DATABASE_URL: ports.databaseUrl, LOG_LEVEL: ports.logLevel }
  const [reference, floor] = await Promise.all([start<{ port: number }>('bench/permissions-reference.ts', env), start<{ port: number }>('bench/permissions-fastify.ts', env)])
  children.push(reference.child, floor.child)
  const apiUrl = `${appUrl}/provider-api/v1/users/${ports.memberId}/permissions`
  const refUrl = `http://127.0.0.1:${reference.ready.port}/${ports.memberId}`
  const floorUrl = `http://127.0.0.1:${floor.ready.port}/${ports.memberId}`
  const auth = { authorization: `Bearer ${ports.apiToken}` }
  const [app, ref, onFastify] = await Promise.all([fetch(apiUrl, { headers: auth }), fetch(refUrl), fetch(floorUrl)])
  const [appBody, refBody, floorBody] = await Promise.all([app.text(), ref.text(), onFastify.text()])
  if (app.status !== 200 || appBody !== refBody || floorBody !== refBody) throw new Error(`the permissions references do not answer as the API: app ${app.status} ${appBody}, reference ${refBody}, on Fastify ${floorBody}`)
  const { route: api, reference: bare, ratios } = await drivePair(
    { name: 'permissions: provider API', url: apiUrl, headers: auth, pid: appPid },
    { name: 'permissions: one-query reference', url: refUrl, pid: reference.child.pid })
  const { route: framework, reference: bareAgain, ratios: floorRatios } = await drivePair(
    { name: 'permissions: reference on Fastify + log', url: floorUrl, pid: floor.child.pid },
    { name: 'permissions: one-query reference', url: refUrl, pid: reference.child.pid })
  printTable([bare, framework, api])
  if (api.cpuUs !== undefined && bare.cpuUs !== undefined) console.log(`CPU per request, reference / API: ${(bare.cpuUs / api.cpuUs).toFixed(2)}`)
  if (framework.cpuUs !== undefined && bareAgain.cpuUs !== undefined) console.log(`CPU per request, reference / the reference on Fastify with the service's request log (LOG_LEVEL ${ports.logLevel}): ${(bareAgain.cpuUs / framework.cpuUs).toFixed(2)}`)
  console.log(`Permissions API / one-query reference: ${(api.rps / bare.rps).toFixed(2)} (aim >= 0.80; ${spread(ratios)}); API p99 ${api.p99} ms (aim <= 10), reference p99 ${bare.p99} ms`)
  console.log(`The reference on Fastify + log / the reference: ${(framework.rps / bareAgain.rps).toFixed(2)} (${spread(floorRatios)}): the floor the framework and the request log set`)
}

async function bench (): Promise<void> {
  const children: ChildProcess[] = []
  try {
    const server = await start<Ports>('bench/server.ts', process.env)
    children.push(server.child)
    const ports = server.ready
    const appUrl = `http://127.0.0.1:${ports.app}`

    const logIn = async (): Promise<{ ok: boolean, status: number, cookie: string }> => {
      const page = await fetch(`${appUrl}/login`)
      const cookie = cookiesOf(page)
      const csrf = (await page.text()).match(/name="_csrf" value="([^"]+)"/)?.[1] ?? ''
      const res = await fetch(`${appUrl}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, email: ports.email, password: ports.password })
      })
      return { ok: res.status === 303, status: res.status, cookie: cookiesOf(res) }
    }
    const profilePage = async (): Promise<Response> => {
      const res = await fetch(`${appUrl}/client/profile`, { headers: { cookie: session.cookie }, redirect: 'manual' })
      if (res.status !== 200) throw new Error(`profile answered ${res.status}`)
      return res
    }

    if (API_ONLY) {
      await benchPermissions(ports, appUrl, children, server.child.pid)
      return
    }
    const session = await logIn()
    if (!session.ok) throw new Error('could not sign in')

    // The bare reference, compiled from the page as the app serves it.
    const captured = await profilePage()
    const headers: Record<string, string> = {}
    captured.headers.forEach((value, name) => {
      if (!['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'set-cookie'].includes(name)) headers[name] = value
    })
    const input = path.join(mkdtempSync(path.join(tmpdir(), 'cp-bench-ref-')), 'input.json')
    writeFileSync(input, JSON.stringify({ databaseUrl: ports.databaseUrl, userId: ports.userId, html: await captured.text(), headers }))
    const reference = await start<{ port: number, parts: number }>('bench/reference.ts', { ...process.env, BENCH_REFERENCE_INPUT: input })
    children.push(reference.child)
    rmSync(path.dirname(input), { recursive: true })
    const bareUrl = `http://127.0.0.1:${reference.ready.port}/`
    const sameBytes = async (): Promise<string | null> => {
      const [app, bare] = await Promise.all([profilePage().then(async (r) => await r.text()), fetch(bareUrl).then(async (r) => await r.text())])
      return withoutCsrf(app) === withoutCsrf(bare) ? null : firstDifference(withoutCsrf(app), withoutCsrf(bare))
    }
    const mismatch = await sameBytes()
    if (mismatch !== null) throw new Error(`the bare reference does not print the Profile page's bytes ${mismatch}`)

    console.log(`Database: ${ports.embedded ? 'embedded (set DATABASE_URL for PostgreSQL figures)' : 'PostgreSQL at DATABASE_URL'}; app logging at ${ports.logLevel}; ${CONNECTIONS} connections, ${DURATION} s per route.`)
    console.log(`Bare reference: same bytes as the Profile page (CSRF token aside), ${reference.ready.parts} values from the row.`)
    const appPid = server.child.pid
    const memory = await drive('memory (same bytes, in-process)', `http://127.0.0.1:${ports.ref}/ref/memory`, {}, appPid)
    const inProcess = await drive('in-process reference (app templates)', `http://127.0.0.1:${ports.ref}/ref/profile`, {}, appPid)
    const { route: profile, reference: bare, ratios } = await drivePair(
      { name: 'Profile (signed in)', url: `${appUrl}/client/profile`, headers: { cookie: session.cookie }, pid: appPid },
      { name: 'bare reference (own process)', url: bareUrl, pid: reference.child.pid })

    // Profile under login load: LOGIN_CLIENTS loops of GET /login + POST /login.
    let stop = false
    let logins = 0
    const loginFailures = new Map<number, number>()
    const loops = Array.from({ length: LOGIN_CLIENTS }, async () => {
      while (!stop) {
        const r = await logIn()
        if (r.ok) logins++
        else loginFailures.set(r.status, (loginFailures.get(r.status) ?? 0) + 1)
      }
    })
    const loaded = await drive(`Profile with ${LOGIN_CLIENTS} clients logging in`, `${appUrl}/client/profile`, { cookie: session.cookie }, appPid)
    stop = true
    await Promise.all(loops)
    // The last login changed under load: the reference must still print the page.
    const after = await sameBytes()

    printTable([memory, inProcess, bare, profile, loaded])
    if (profile.cpuUs !== undefined && bare.cpuUs !== undefined) console.log(`\nCPU per request, bare / Profile: ${(bare.cpuUs / profile.cpuUs).toFixed(2)} (the ratio req/s would show on an idle machine)`)
    console.log(`\nProfile / bare reference:       ${(profile.rps / bare.rps).toFixed(2)} (aim >= 0.60, ideally 0.90; ${spread(ratios)})`)
    console.log(`Profile / in-process reference: ${(profile.rps / inProcess.rps).toFixed(2)}`)
    console.log(`Profile / memory:               ${(profile.rps / memory.rps).toFixed(2)}`)
    console.log(`Profile p50 ${profile.p50} ms, p99 ${profile.p99} ms (aim <= 25); under login load: p99 ${loaded.p99} ms (aim <= 150)`)
    console.log(`Logins during the loaded run: ${logins} succeeded (${(logins / DURATION).toFixed(1)}/s), ${[...loginFailures.values()].reduce((a, b) => a + b, 0)} failed${loginFailures.size === 0 ? '' : ` (by status: ${[...loginFailures].map(([status, n]) => `${status} ×${n}`).join(', ')})`}`)
    if (after !== null) {
      console.log(`WARNING: after the login load the bare reference no longer prints the Profile page's bytes ${after}`)
      process.exitCode = 1
    }
    await benchPermissions(ports, appUrl, children, appPid)
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM')
  }
}

if (process.argv.includes('--scale')) {
  await import('./scale.ts')
} else if (process.argv.includes('--cpu')) {
  await import('./cpu.ts')
} else if (process.argv.includes('--export')) {
  await import('./export.ts')
} else {
  await bench()
}
