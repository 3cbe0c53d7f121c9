// `npm run bench -- --cpu`: what one signed-in Profile page costs the app's
// process, measured in ways that other load on the machine disturbs less than
// req/s: CPU time per request over CPU_REQUESTS requests sent one at a time
// in-process (app.inject), CPU_RUNS runs after a warm-up, and the count of
// young-generation collections per run (with a fixed
// `node --max-semi-space-size=1`, proportional to the bytes allocated per
// request). CPU_URL picks another signed-in page; CPU_HEAP=<file> writes a
// sampling heap profile of one more run (collected objects included);
// CPU_HTTP=1 serves the app on a port instead (prints port, cookie, user id)
// for an outside load generator, strace -c or --cpu-prof. CPU_EMAIL and
// CPU_PASSWORD sign in as a user already there (bench --scale's owner, for its
// list pages) instead of a new account's owner.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { buildApp, serviceLogger } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createAccount } from '../src/features/provider/index.ts'

const N = Number(process.env.CPU_REQUESTS ?? 3000)
const url = process.env.CPU_URL ?? '/client/profile'
const config = loadConfig({ ...process.env, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'cp-cpu-')), PORT: '0' })
const app = await buildApp(config, { logger: serviceLogger(config, '/dev/null') })
const existing = process.env.CPU_EMAIL
const email = existing ?? `cpu-${Date.now()}@example.com`
const password = existing === undefined ? 'benchmark passphrase' : process.env.CPU_PASSWORD ?? ''
const created = existing === undefined ? await createAccount(app.deps, { email, name: 'Cpu Owner', password }) : undefined
if (created !== undefined && !created.ok) throw new Error(created.reason)
const cookieOf = (r: { cookies: Array<{ name: string, value: string }> }) => r.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
const page = await app.inject({ url: '/login' })
const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
const login = await app.inject({ method: 'POST', url: '/login', headers: { cookie: cookieOf(page), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, email, password }).toString() })
if (login.statusCode !== 303) throw new Error(`login ${login.statusCode}`)
const cookie = cookieOf(login)
const once = async () => {
  const r = await app.inject({ url, headers: { cookie } })
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode}`)
}
if (process.env.CPU_HTTP !== undefined) {
  // Serve over HTTP for an outside load generator: prints the port and the cookie, stops on SIGTERM;
  // then prints the garbage collections' count and pause time (ms) by kind while it served.
  await app.listen({ port: 0, host: '127.0.0.1' })
  const pauses: Record<string, { n: number, ms: number }> = {}
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = ((e as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'young' : 'other'
      const p = pauses[kind] ??= { n: 0, ms: 0 }
      p.n++
      p.ms += e.duration
    }
  }).observe({ entryTypes: ['gc'] })
  console.log(JSON.stringify({ port: (app.server.address() as { port: number }).port, cookie, userId: created?.userId }))
  await new Promise((resolve) => process.once('SIGTERM', resolve))
  console.log(JSON.stringify({ gc: pauses }))
  await app.close()
  process.exit(0)
}
for (let i = 0; i < 3000; i++) await once() // warm up: let the JIT settle
// Young-generation collections: with --max-semi-space-size fixed, their count
// per request follows the bytes allocated per request, whatever else runs.
let scavenges = 0
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++
}).observe({ entryTypes: ['gc'] })
const runs: number[] = []
const gcs: number[] = []
const RUNS = Number(process.env.CPU_RUNS ?? 6)
for (let k = 0; k < RUNS; k++) {
  const before = process.cpuUsage()
  const s0 = scavenges
  for (let i = 0; i < N; i++) await once()
  const used = process.cpuUsage(before)
  runs.push((used.user + used.system) / N)
  gcs.push(scavenges - s0)
}
if (process.env.CPU_HEAP !== undefined) {
  // Where the bytes of N requests are allocated (collected ones included): a sampling heap profile.
  const { Session } = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  for (let i = 0; i < N; i++) await once()
  const { profile } = await session.post('HeapProfiler.stopSampling')
  session.disconnect() // a connected inspector session keeps the process alive
  const { writeFileSync } = await import('node:fs')
  writeFileSync(process.env.CPU_HEAP, JSON.stringify(profile))
}
const sorted = [...runs].sort((a, b) => a - b)
console.log(`${url}: CPU µs/request over ${N} requests, ${RUNS} runs: ${runs.map((r) => r.toFixed(0)).join(' ')} (min ${sorted[0]!.toFixed(0)}, median ${sorted[Math.floor(RUNS / 2)]!.toFixed(0)}); young collections per run: ${gcs.join(' ')}`)
await app.close()
