// What the benchmarks share (npm run bench, --scale): starting a bench
// server in a process of its own, driving a URL with autocannon while
// reading the CPU time the serving process and PostgreSQL spend on it, a
// route and its reference in alternating slices, and the table of figures.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'

export const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
export const CONNECTIONS = 50

export interface Row { name: string, rps: number, p50: number, p99: number, errors: number, non2xx: number, cpuUs: number | undefined, dbCpuUs: number | undefined }

/** CPU time (user + system) a process has used, in µs; undefined where /proc is not there. */
export function cpuOf (pid: number | undefined): number | undefined {
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
export async function start<T> (file: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess, ready: T }> {
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

/** Signs in through the login form as a browser does (its CSRF token and cookie first); ok: answered 303, cookie: the session's. */
export async function logIn (appUrl: string, email: string, password: string): Promise<{ ok: boolean, status: number, cookie: string }> {
  const page = await fetch(`${appUrl}/login`)
  const csrf = (await page.text()).match(/name="_csrf" value="([^"]+)"/)?.[1] ?? ''
  const res = await fetch(`${appUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password })
  })
  return { ok: res.status === 303, status: res.status, cookie: cookiesOf(res) }
}

/** The page with its CSRF tokens blanked: the one part allowed to differ. */
export const withoutCsrf = (html: string): string => html.replace(/(name="_csrf" value=")[^"]*"/g, '$1"')

export function firstDifference (a: string, b: string): string {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return `at byte ${i}: app ${JSON.stringify(a.slice(i, i + 60))}, reference ${JSON.stringify(b.slice(i, i + 60))}`
}

/**
 * A bare reference for one page (bench/reference.ts, in a process of its
 * own): one primary-key select of user `userId` with raw `pg` and the page's
 * bytes, as `page()` fetched them from the app, compiled into one function of
 * that row (`required`: the row's values the page must show). `sameBytes`
 * fetches both again and names the first difference (CSRF tokens aside), or
 * gives null.
 */
export async function bareReference (databaseUrl: string, userId: string, page: () => Promise<Response>, required?: string[]): Promise<{ child: ChildProcess, url: string, parts: number, sameBytes: () => Promise<string | null> }> {
  const captured = await page()
  const headers: Record<string, string> = {}
  captured.headers.forEach((value, name) => {
    if (!['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'set-cookie'].includes(name)) headers[name] = value
  })
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-bench-ref-'))
  const input = path.join(dir, 'input.json')
  writeFileSync(input, JSON.stringify({ databaseUrl, userId, html: await captured.text(), headers, required }))
  let reference
  try {
    reference = await start<{ port: number, parts: number }>('bench/reference.ts', { ...process.env, BENCH_REFERENCE_INPUT: input })
  } finally {
    rmSync(dir, { recursive: true })
  }
  const url = `http://127.0.0.1:${reference.ready.port}/`
  const sameBytes = async (): Promise<string | null> => {
    const [app, bare] = await Promise.all([page().then(async (r) => await r.text()), fetch(url).then(async (r) => await r.text())])
    return withoutCsrf(app) === withoutCsrf(bare) ? null : firstDifference(withoutCsrf(app), withoutCsrf(bare))
  }
  return { child: reference.child, url, parts: reference.ready.parts, sameBytes }
}

/** Drives url; cpuUs: the serving process's CPU per request, less sensitive to the load beside it than req/s. */
export async function drive (name: string, url: string, headers: Record<string, string> = {}, pid?: number, duration = DURATION, connections = CONNECTIONS): Promise<Row> {
  const before = cpuOf(pid)
  const dbBefore = postgresCpu()
  const r = await autocannon({ url, connections, duration, headers })
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
 * to show the spread. `connections`: CONNECTIONS unless given.
 */
export async function drivePair (a: { name: string, url: string, headers?: Record<string, string>, pid?: number }, ref: { name: string, url: string, headers?: Record<string, string>, pid?: number }, connections = CONNECTIONS): Promise<{ route: Row, reference: Row, ratios: number[] }> {
  const slices: { route: Row[], reference: Row[] } = { route: [], reference: [] }
  for (let i = 0; i < ROUNDS; i++) {
    slices.reference.push(await drive(ref.name, ref.url, ref.headers, ref.pid, DURATION / 2, connections))
    slices.route.push(await drive(a.name, a.url, a.headers, a.pid, DURATION / 2, connections))
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
export function printTable (rows: Row[]): void {
  const pad = (s: string, n: number) => s.padEnd(n)
  const us = (v: number | undefined): string => v === undefined ? '-' : v.toFixed(0)
  console.log(`\n${pad('route', 44)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('CPU µs/req', 12)}${pad('DB µs/req', 11)}errors/non-2xx`)
  for (const r of rows) {
    console.log(`${pad(r.name, 44)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(us(r.cpuUs), 12)}${pad(us(r.dbCpuUs), 11)}${r.errors}/${r.non2xx}`)
  }
}

export const spread = (ratios: number[]): string => `rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}`

