// pg emits 'error' on a client whose connection the server ends: a failover,
// an administrator's pg_terminate_backend, idle_in_transaction_session_timeout.
// A pool listens on its idle clients only; on a client that is held (through
// a transaction, or a lock taken on a connection of its own) nobody would,
// and an 'error' event without a listener ends the process. The client
// itself is then unusable: its holder's next query fails with the error (and
// is reported where that query's errors are), and a pool drops it on release.
import type pg from 'pg'

/**
 * How long a query waits for a connection (a new one to be made, or one of
 * a full pool to come free) before it fails: a database host that stops
 * answering fails requests, jobs and /readyz in that time instead of
 * holding them until the operating system gives up on the socket.
 */
export const CONNECT_TIMEOUT_MS = 10_000

const ignore = (): void => {}

/** A client whose lost connection fails its own queries instead of ending the process. */
export function outlivesLostConnection<C extends pg.Client | pg.PoolClient> (client: C): C {
  client.on('error', ignore)
  return client
}

/** The same for every client the pool connects. */
export function poolOutlivesLostConnections (pool: pg.Pool): pg.Pool {
  pool.on('connect', outlivesLostConnection)
  return pool
}
