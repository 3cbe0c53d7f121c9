// Opens the database named by the configuration: PostgreSQL at DATABASE_URL,
// or the embedded PostgreSQL server in DATA_DIR. Either way the app gets a
// Kysely over `pg`.
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import type { Config } from '../config.ts'
import { findRunningEmbedded, startEmbedded } from './embedded.ts'
import { CONNECT_TIMEOUT_MS, outlivesLostConnection, poolOutlivesLostConnections } from './connection-faults.ts'
import type { DB } from './schema.ts'

// bigint ids and counts come back as strings; timestamps as Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v)

export interface Database {
  db: Kysely<DB>
  /** The pool under db, for the few hot queries run as named prepared statements. */
  pool: pg.Pool
  url: string
  embedded: boolean
  /** The application_name of this database's connections: the job queue's take it too. */
  connectionName: string
  close: () => Promise<void>
}

let opened = 0

/**
 * A name for the connections of one opened database (application_name),
 * its pool's and its job queue's, so that othersConnected can leave them
 * out: a backend of ours whose socket has just closed may still be listed
 * for a moment, more so on a busy machine.
 */
function connectionName (): string {
  return `client-panel ${process.pid}.${++opened}`
}

export function createKysely (url: string, max = 10, name = connectionName(), connectTimeoutMs = CONNECT_TIMEOUT_MS): { db: Kysely<DB>, pool: pg.Pool } {
  const pool = poolOutlivesLostConnections(new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: connectTimeoutMs, application_name: name }))
  pool.on('error', () => { /* a dropped idle client is replaced on the next query */ })
  // cursor: .stream() reads a query in chunks from a server-side cursor (the
  // personal-data export), so a large result is never held in memory.
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) }), pool }
}

/** Whether anyone but this connection uses the server (the service, while a CLI command runs). */
async function othersConnected (url: string, ours: string): Promise<boolean> {
  const client = outlivesLostConnection(new pg.Client({ connectionString: url }))
  try {
    await client.connect()
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and application_name is distinct from $1",
      [ours])
    return (rows[0]?.n ?? 0) > 0
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The embedded server is started (or adopted) by whoever needs it and
 * stopped by whoever closes last: a close leaves it running while anyone
 * else is connected (a second service on the same DATA_DIR, a CLI command).
 * reuseRunning (the CLI, npm run migrate): use the server the service runs
 * on this DATA_DIR without starting anything when there is one.
 */
export async function openDatabase (config: Pick<Config, 'databaseUrl' | 'dataDir'>, opts: { reuseRunning?: boolean, log?: (message: string) => void } = {}): Promise<Database> {
  if (config.databaseUrl !== undefined) {
    const name = connectionName()
    const { db, pool } = createKysely(config.databaseUrl, 10, name)
    return { db, pool, url: config.databaseUrl, embedded: false, connectionName: name, close: async () => { await db.destroy() } }
  }
  if (opts.reuseRunning === true) {
    const running = await findRunningEmbedded(config.dataDir)
    if (running !== undefined) {
      const name = connectionName()
      const { db, pool } = createKysely(running, 2, name)
      return { db, pool, url: running, embedded: true, connectionName: name, close: async () => { await db.destroy() } }
    }
  }
  const embedded = await startEmbedded(config.dataDir, { log: opts.log })
  const name = connectionName()
  const { db, pool } = createKysely(embedded.url, opts.reuseRunning === true ? 2 : 10, name)
  return {
    db,
    pool,
    url: embedded.url,
    embedded: true,
    connectionName: name,
    close: async () => {
      await db.destroy()
      if (await othersConnected(embedded.url, name)) return
      await embedded.stop()
    }
  }
}
