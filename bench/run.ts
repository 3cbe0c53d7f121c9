// npm run bench: the signed-in Profile page against a one-query reference
// and a from-memory route (autocannon, 50 connections, 10 s each), then the
// Profile page again while 20 clients log in continuously.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'

const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 50
const LOGIN_CLIENTS = 20

interface Ports { app: number, ref: number, email: string, password: string, embedded: boolean }

const server = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts'], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env })
const ports = await new Promise<Ports>((resolve, reject) => {
  createInterface({ input: server.stdout! }).once('line', (line) => resolve(JSON.parse(line) as Ports))
  server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)))
})
const appUrl = `http://127.0.0.1:${ports.app}`

function cookiesOf (res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
}

async function logIn (): Promise<{ ok: boolean, cookie: string }> {
  const page = await fetch(`${appUrl}/login`)
  const cookie = cookiesOf(page)
  const csrf = (await page.text()).match(/name="_csrf" value="([^"]+)"/)?.[1] ?? ''
  const res = await fetch(`${appUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email: ports.email, password: ports.password })
  })
  return { ok: res.status === 303, cookie: cookiesOf(res) }
}

interface Row { name: string, rps: number, p50: number, p99: number, errors: number, non2xx: number }

async function drive (name: string, url: string, headers: Record<string, string> = {}): Promise<Row> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers })
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
}

try {
  const session = await logIn()
  if (!session.ok) throw new Error('could not sign in')
  const check = await fetch(`${appUrl}/client/profile`, { headers: { cookie: session.cookie }, redirect: 'manual' })
  if (check.status !== 200) throw new Error(`profile answered ${check.status}`)

  console.log(`Database: ${ports.embedded ? 'embedded PGlite (set DATABASE_URL for PostgreSQL figures)' : 'PostgreSQL at DATABASE_URL'}; ${CONNECTIONS} connections, ${DURATION} s per route.`)
  const rows: Row[] = []
  rows.push(await drive('memory (same bytes)', `http://127.0.0.1:${ports.ref}/ref/memory`))
  rows.push(await drive('reference (1 query + template)', `http://127.0.0.1:${ports.ref}/ref/profile`))
  rows.push(await drive('Profile (signed in)', `${appUrl}/client/profile`, { cookie: session.cookie }))

  // Profile under login load: LOGIN_CLIENTS loops of GET /login + POST /login.
  let stop = false
  let logins = 0
  let loginFailures = 0
  const loops = Array.from({ length: LOGIN_CLIENTS }, async () => {
    while (!stop) {
      const r = await logIn()
      if (r.ok) logins++
      else loginFailures++
    }
  })
  const loaded = await drive(`Profile with ${LOGIN_CLIENTS} clients logging in`, `${appUrl}/client/profile`, { cookie: session.cookie })
  stop = true
  await Promise.all(loops)
  rows.push(loaded)

  const pad = (s: string, n: number) => s.padEnd(n)
  console.log(`\n${pad('route', 44)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}errors/non-2xx`)
  for (const r of rows) console.log(`${pad(r.name, 44)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${r.errors}/${r.non2xx}`)
  const [memory, reference, profile] = rows as [Row, Row, Row, Row]
  console.log(`\nProfile / reference: ${(profile.rps / reference.rps).toFixed(2)} (aim >= 0.80)`)
  console.log(`Profile / memory:    ${(profile.rps / memory.rps).toFixed(2)}`)
  console.log(`Profile p99: ${profile.p99} ms (aim <= 25); under login load: ${loaded.p99} ms (aim <= 150)`)
  console.log(`Logins during the loaded run: ${logins} succeeded (${(logins / DURATION).toFixed(1)}/s), ${loginFailures} failed`)
} finally {
  server.kill('SIGTERM')
}
