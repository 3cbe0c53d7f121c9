// Opens the database named by the configuration: PostgreSQL at DATABASE_URL,
// or the embedded one in DATA_DIR. Either way the app gets a Kysely over `pg`.
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.ts'
import { findRunningEmbedded, startEmbedded } from './embedded.ts'
import type { DB } from './schema.ts'

// bigint ids and counts come back as strings; timestamps as Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v)

export interface Database {
  db: Kysely<DB>
  /** The pool under db, for the few hot queries run as named prepared statements. */
  pool: pg.Pool
  url: string
  embedded: boolean
  close: () => Promise<void>
}

export function createKysely (url: string, max = 10): { db: Kysely<DB>, pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 })
  pool.on('error', () => { /* a dropped idle client is replaced on the next query */ })
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool }
}

export async function openDatabase (config: Pick<Config, 'databaseUrl' | 'dataDir'>, opts: { reuseRunning?: boolean } = {}): Promise<Database> {
  if (config.databaseUrl !== undefined) {
    const { db, pool } = createKysely(config.databaseUrl)
    return { db, pool, url: config.databaseUrl, embedded: false, close: async () => { await db.destroy() } }
  }
  if (opts.reuseRunning === true) {
    const running = await findRunningEmbedded(config.dataDir)
    if (running !== undefined) {
      const { db, pool } = createKysely(running, 2)
      return { db, pool, url: running, embedded: true, close: async () => { await db.destroy() } }
    }
  }
  const embedded = await startEmbedded(config.dataDir)
  const { db, pool } = createKysely(embedded.url)
  return {
    db,
    pool,
    url: embedded.url,
    embedded: true,
    close: async () => {
      await db.destroy()
      await embedded.stop()
    }
  }
}
