// /healthz (liveness: no database) and /readyz (readiness: the database and
// the job queue), including a database that stops answering and comes back.
import t from 'tap'
import { startTestApp } from '../helpers/app.ts'
import { queryOnce } from '../helpers/db.ts'
import { eventually } from '../helpers/wait.ts'

const ta = await startTestApp(t)
const { app } = ta
const databaseUrl = ta.config.databaseUrl!
const databaseName = new URL(databaseUrl).pathname.slice(1)

/** Runs SQL on the server's maintenance database (not the app's). */
async function admin (text: string): Promise<void> {
  const u = new URL(databaseUrl)
  u.pathname = '/postgres'
  await queryOnce(u.toString(), text)
}

t.test('both answer when everything is up', async (t) => {
  const health = await app.inject({ url: '/healthz' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  t.match(String(health.headers['content-type']), 'application/json')
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
  t.notOk(ready.headers['set-cookie'], 'no cookie, no session')
})

t.test('the database unreachable: /readyz 503 naming it, /healthz still 200 (no database round trip)', async (t) => {
  // The database refuses new connections and every open one is ended: the pools find nothing to reuse.
  await admin(`alter database ${databaseName} allow_connections false`)
  t.teardown(() => admin(`alter database ${databaseName} allow_connections true`))
  await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${databaseName}' and pid <> pg_backend_pid()`)
  const ready = await eventually('/readyz to fail', async () => {
    const res = await app.inject({ url: '/readyz' })
    return res.statusCode === 503 ? res : undefined
  })
  t.same(ready.json(), { status: 'unavailable', failed: { database: 'unreachable', queue: 'unreachable' } })
  const health = await app.inject({ url: '/healthz' })
  t.equal(health.statusCode, 200, 'liveness does not depend on the database')
  t.same(health.json(), { status: 'ok' })

  await admin(`alter database ${databaseName} allow_connections true`)
  const back = await eventually('/readyz to recover', async () => {
    const res = await app.inject({ url: '/readyz' })
    return res.statusCode === 200 ? res : undefined
  }, async () => (await app.inject({ url: '/readyz' })).body)
  t.same(back.json(), { status: 'ready' }, 'ready again once the database is back, without a restart')
})

t.test('the job queue stopped: /readyz 503 naming it', async (t) => {
  await app.deps.jobs.stop()
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { status: 'unavailable', failed: { queue: 'stopped' } })
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})
