// A connection the server ends while the app holds it (a failover, an
// administrator's pg_terminate_backend, idle_in_transaction_session_timeout):
// pg emits 'error' on a checked-out client, and an 'error' nobody listens to
// ends the process. The holder's next query must fail instead, the pool must
// drop the dead client, and the next query get a working one. A host that
// stops answering fails queries after the connect timeout, not never.
import net from 'node:net'
import type pg from 'pg'
import { type Kysely, sql, type Transaction } from 'kysely'
import t from 'tap'
import { createKysely, openDatabase } from '../../src/db/database.ts'
import { CONNECT_TIMEOUT_MS } from '../../src/db/connection-faults.ts'
import type { DB } from '../../src/db/schema.ts'
import { createTestDatabase, queryOnce } from '../helpers/db.ts'

const database = await createTestDatabase()
t.teardown(async () => { await database.drop() })

/**
 * Ends the client's backend from a connection of its own, as an
 * administrator would, and waits until the client has seen its connection
 * end while no query of its own ran (its 'end' event follows the 'error').
 */
async function serverEnds (client: pg.PoolClient): Promise<void> {
  // Not events.once: it listens for 'error' too, which would hide a client nobody else listens on.
  const ended = new Promise((resolve) => client.once('end', resolve))
  await queryOnce(database.url, 'select pg_terminate_backend($1)', [(client as unknown as { processID: number }).processID])
  await ended
}

/** The client the pool hands out next. */
async function nextAcquired (pool: pg.Pool): Promise<pg.PoolClient> {
  return await new Promise((resolve) => pool.once('acquire', resolve))
}

const backendPid = async (db: Kysely<DB> | Transaction<DB>): Promise<number> => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid

t.test('a backend ended between two statements of a transaction: the transaction fails, the process lives, the pool recovers', async (t) => {
  const { db, pool } = createKysely(database.url, 1)
  t.teardown(async () => { await db.destroy() })
  const acquired = nextAcquired(pool)
  let pid = 0
  const failed = await db.transaction().execute(async (trx) => {
    pid = await backendPid(trx)
    await serverEnds(await acquired)
    await sql`select 1`.execute(trx)
  }).then(() => undefined, (err: unknown) => err)
  t.match(failed, { message: /not queryable|terminat/ }, 'the transaction is refused, not the process ended')
  t.not(await backendPid(db), pid, 'a pool of one serves the next query on a new connection')
})

t.test('a backend ended while a client of the pool is held without a transaction: the same', async (t) => {
  const { db, pool } = createKysely(database.url, 1)
  t.teardown(async () => { await db.destroy() })
  const client = await pool.connect()
  await serverEnds(client)
  const failed = await client.query('select 1').then(() => undefined, (err: unknown) => err)
  client.release()
  t.match(failed, { message: /not queryable|terminat/ }, 'the held connection fails')
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
