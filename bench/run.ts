// npm run bench: the signed-in Profile page against a bare reference in its
// own process (raw `pg`, one primary-key select, a template compiled from the
// page's own bytes: bench/reference.ts), the in-process references of
// bench/server.ts (from memory, and the page's floor: Fastify, the request
// log and the app's templates on one prepared select, driven against the
// bare reference like the page),
// autocannon with 50 connections for 10 s each (a route and its reference in
// alternating slices: drivePair); then the Profile page again
// while 20 clients log in continuously. `npm run bench -- --scale` runs
// bench/scale.ts instead, `npm run bench -- --export` bench/export.ts (the
// personal-data export of 100 000 activity rows: time and RSS), `--queue`
// bench/queue.ts (how fast the workers mail a burst of notices), `--cpu`
// bench/cpu.ts (one page's CPU time and allocation, in-process). Each row
// gives the CPU the serving process and the database spent per request.
import type { ChildProcess } from 'node:child_process'
import { bareReference, CONNECTIONS, drive, drivePair, DURATION, logIn as signIn, printTable, spread, start } from './measure.ts'

const LOGIN_CLIENTS = 20
/**
 * The API's latency is also measured at fewer connections. At CONNECTIONS
 * (50) every request waits behind the others on two cores: by Little's law
 * the mean latency is 50 / (req/s), 10 ms at 5 000 req/s, so a p99 of 10 ms
 * there would need more than the one-query reference itself serves. At 10
 * connections the p99 shows the call's own time more than the queue's.
 */
const FEW_CONNECTIONS = 10

interface Ports { app: number, ref: number, email: string, password: string, userId: string, memberId: string, apiToken: string, databaseUrl: string, embedded: boolean, logLevel: string }

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
  const { route: apiFew, reference: bareFew } = await drivePair(
    { name: `permissions: provider API, ${FEW_CONNECTIONS} conn.`, url: apiUrl, headers: auth, pid: appPid },
    { name: `permissions: reference, ${FEW_CONNECTIONS} conn.`, url: refUrl, pid: reference.child.pid }, FEW_CONNECTIONS)
  printTable([bare, framework, api, bareFew, apiFew])
  if (api.cpuUs !== undefined && bare.cpuUs !== undefined) console.log(`CPU per request, reference / API: ${(bare.cpuUs / api.cpuUs).toFixed(2)}`)
  if (framework.cpuUs !== undefined && bareAgain.cpuUs !== undefined) console.log(`CPU per request, reference / the reference on Fastify with the service's request log (LOG_LEVEL ${ports.logLevel}): ${(bareAgain.cpuUs / framework.cpuUs).toFixed(2)}`)
  console.log(`Permissions API / one-query reference: ${(api.rps / bare.rps).toFixed(2)} (aim >= 0.80; ${spread(ratios)}); API p99 ${api.p99} ms (aim <= 10), reference p99 ${bare.p99} ms`)
  console.log(`The reference on Fastify + log / the reference: ${(framework.rps / bareAgain.rps).toFixed(2)} (${spread(floorRatios)}): the floor the framework and the request log set`)
  console.log(`At ${FEW_CONNECTIONS} connections: API p99 ${apiFew.p99} ms (aim <= 10), reference p99 ${bareFew.p99} ms; API / reference ${(apiFew.rps / bareFew.rps).toFixed(2)}`)
}

async function bench (): Promise<void> {
  const children: ChildProcess[] = []
  try {
    const server = await start<Ports>('bench/server.ts', process.env)
    children.push(server.child)
    const ports = server.ready
    const appUrl = `http://127.0.0.1:${ports.app}`

    const logIn = async (): Promise<{ ok: boolean, status: number, cookie: string }> => await signIn(appUrl, ports.email, ports.password)
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
    const reference = await bareReference(ports.databaseUrl, ports.userId, profilePage)
    children.push(reference.child)
    const bareUrl = reference.url
    const mismatch = await reference.sameBytes()
    if (mismatch !== null) throw new Error(`the bare reference does not print the Profile page's bytes ${mismatch}`)

    console.log(`Database: ${ports.embedded ? 'embedded (set DATABASE_URL for PostgreSQL figures)' : 'PostgreSQL at DATABASE_URL'}; app logging at ${ports.logLevel}; ${CONNECTIONS} connections, ${DURATION} s per route.`)
    console.log(`Bare reference: same bytes as the Profile page (CSRF token aside), ${reference.parts} values from the row.`)
    const appPid = server.child.pid
    const memory = await drive('memory (same bytes, in-process)', `http://127.0.0.1:${ports.ref}/ref/memory`, {}, appPid)
    const { route: floor, reference: bareForFloor, ratios: floorRatios } = await drivePair(
      { name: 'floor: Fastify + log + templates', url: `http://127.0.0.1:${ports.ref}/ref/profile`, pid: appPid },
      { name: 'bare reference (own process)', url: bareUrl, pid: reference.child.pid })
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
    const after = await reference.sameBytes()

    printTable([memory, floor, bare, profile, loaded])
    if (profile.cpuUs !== undefined && bare.cpuUs !== undefined) console.log(`\nCPU per request, bare / Profile: ${(bare.cpuUs / profile.cpuUs).toFixed(2)} (the ratio req/s would show on an idle machine)`)
    console.log(`\nProfile / bare reference:       ${(profile.rps / bare.rps).toFixed(2)} (aim >= 0.60, ideally 0.90; ${spread(ratios)})`)
    console.log(`Floor / bare reference:         ${(floor.rps / bareForFloor.rps).toFixed(2)} (${spread(floorRatios)}): Fastify, the request log and the page's templates on one select, without the session, CSRF and guards`)
    console.log(`Profile / floor:                ${(profile.rps / floor.rps).toFixed(2)}`)
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
} else if (process.argv.includes('--queue')) {
  await import('./queue.ts')
} else {
  await bench()
}
