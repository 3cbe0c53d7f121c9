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
  url: string
  embedded: boolean
  close: () => Promise<void>
}

export function createKysely (url: string, max = 10): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 })
  pool.on('error', () => { /* a dropped idle client is replaced on the next query */ })
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
}

export async function openDatabase (config: Pick<Config, 'databaseUrl' | 'dataDir'>, opts: { reuseRunning?: boolean } = {}): Promise<Database> {
  if (config.databaseUrl !== undefined) {
    const db = createKysely(config.databaseUrl)
    return { db, url: config.databaseUrl, embedded: false, close: async () => { await db.destroy() } }
  }
  if (opts.reuseRunning === true) {
    const running = await findRunningEmbedded(config.dataDir)
    if (running !== undefined) {
      const db = createKysely(running, 2)
      return { db, url: running, embedded: true, close: async () => { await db.destroy() } }
    }
  }
  const embedded = await startEmbedded(config.dataDir)
  const db = createKysely(embedded.url)
  return {
    db,
    url: embedded.url,
    embedded: true,
    close: async () => {
      await db.destroy()
      await embedded.stop()
    }
  }
}
