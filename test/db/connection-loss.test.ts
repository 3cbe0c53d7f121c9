// A connection the server ends while the app holds it (a failover, an
// administrator's pg_terminate_backend, idle_in_transaction_session_timeout):
// pg emits 'error' on a checked-out client, and an 'error' nobody listens to
// ends the process. The holder's next query must fail instead, the pool must
// drop the dead client, and the next query get a working one. A host that
// stops answering fails queries after the connect timeout, not never.
import net from 'node:net'
import pg from 'pg'
import { sql } from 'kysely'
import t from 'tap'
import { createKysely, openDatabase } from '../../src/db/database.ts'
import { CONNECT_TIMEOUT_MS } from '../../src/db/lost-connection.ts'
import { createTestDatabase } from '../helpers/db.ts'
import { eventually } from '../helpers/wait.ts'

const database = await createTestDatabase()
t.teardown(async () => { await database.drop() })

/** Ends a backend from a connection of its own, as an administrator would. */
async function terminate (pid: number): Promise<void> {
  const c = new pg.Client({ connectionString: database.url })
  await c.connect()
  try {
    await c.query('select pg_terminate_backend($1)', [pid])
  } finally {
    await c.end()
  }
}

/** Until the server no longer lists the backend. */
async function gone (pid: number): Promise<void> {
  const c = new pg.Client({ connectionString: database.url })
  await c.connect()
  try {
    await eventually(`backend ${pid} to end`, async () => (await c.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount === 0 ? true : undefined)
  } finally {
    await c.end()
  }
}

t.test('a backend ended between two statements of a transaction: the transaction fails, the process lives, the pool recovers', async (t) => {
  const { db } = createKysely(database.url, 2)
  t.teardown(async () => { await db.destroy() })
  let pid = 0
  const failed = await db.transaction().execute(async (trx) => {
    pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid
    await terminate(pid)
    await gone(pid)
    // Let the client read the server's goodbye while no query of its own is running.
    await new Promise((resolve) => setTimeout(resolve, 100))
    await sql`select 1`.execute(trx)
  }).then(() => undefined, (err: unknown) => err)
  t.ok(failed instanceof Error, 'the transaction is refused, not the process ended')
  const after = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid
  t.not(after, pid, 'the next query runs on a new connection')
})

t.test('a backend ended while a client of the pool is held without a transaction: the same', async (t) => {
  const { db } = createKysely(database.url, 1)
  t.teardown(async () => { await db.destroy() })
  const failed = await db.connection().execute(async (conn) => {
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)).rows[0]!.pid
    await terminate(pid)
    await gone(pid)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await sql`select 1`.execute(conn)
  }).then(() => undefined, (err: unknown) => err)
  t.ok(failed instanceof Error, 'the held connection fails')
  t.same((await sql<{ one: number }>`select 1 as one`.execute(db)).rows, [{ one: 1 }], 'a pool of one still serves: the dead client was dropped')
})

t.test('a database host that takes connections and never answers: the query fails after the connect timeout', async (t) => {
  const held: net.Socket[] = []
  const silent = net.createServer((socket) => { held.push(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of held) s.destroy(); silent.close() })
  const url = new URL(database.url)
  url.port = String((silent.address() as net.AddressInfo).port)
  const { db } = createKysely(url.toString(), 1, undefined, 300)
  t.teardown(async () => { await db.destroy() })
  const failed = await sql`select 1`.execute(db).then(() => undefined, (err: unknown) => err)
  t.match(failed, { message: /timeout/ }, 'the query fails with the timeout')
  t.equal(held.length, 1, 'it did reach the host')

  // The service's own pool (openDatabase) has the timeout: its default, not the 300 ms above.
  const opened = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent' })
  t.teardown(opened.close)
  t.equal(opened.pool.options.connectionTimeoutMillis, CONNECT_TIMEOUT_MS)
})
