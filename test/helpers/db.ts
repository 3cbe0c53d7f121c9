// A database per test file: a clone of a migrated template database on the
// PostgreSQL server at DATABASE_URL (created once per migration set, under an
// advisory lock so parallel test files wait for each other). `npm test` sets
// DATABASE_URL to its embedded server when the environment has none.
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import PgBoss from 'pg-boss'
import { createKysely } from '../../src/db/database.ts'
import { migrateToLatest, migrationsDir } from '../../src/db/migrate.ts'

/** One statement on a connection of its own (opened and ended around it): an administrator's query, beside the app's pool. */
export async function queryOnce<R extends pg.QueryResultRow = Record<string, unknown>> (url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await c.query<R>(text, values)
  } finally {
    await c.end()
  }
}

export interface TestDatabase {
  url: string
  drop: () => Promise<void>
}

function templateName (): string {
  const h = createHash('sha256')
  for (const f of readdirSync(migrationsDir).sort()) h.update(f).update(readFileSync(path.join(migrationsDir, f)))
  return `cp_template_${h.digest('hex').slice(0, 12)}`
}

function withDatabase (url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function ensureTemplate (admin: pg.Client, serverUrl: string, name: string): Promise<void> {
  await admin.query('select pg_advisory_lock(7243101)')
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount === 1) return
    const building = `${name}_build`
    await admin.query(`drop database if exists ${building} with (force)`)
    await admin.query(`create database ${building}`)
    const { db } = createKysely(withDatabase(serverUrl, building), 2)
    await migrateToLatest(db)
    await db.destroy()
    // The job queue's schema too, so that each clone starts ready.
    const boss = new PgBoss({ connectionString: withDatabase(serverUrl, building), max: 2, supervise: false, schedule: false })
    await boss.start()
    await boss.stop({ graceful: false, wait: true })
    await admin.query(`alter database ${building} rename to ${name}`)
    await admin.query(`alter database ${name} with is_template true`)
  } finally {
    await admin.query('select pg_advisory_unlock(7243101)')
  }
}

export async function createTestDatabase (): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL
  if (serverUrl === undefined || serverUrl === '') {
    throw new Error('DATABASE_URL is unset: run the tests with `npm test` (it starts the embedded PostgreSQL) or set DATABASE_URL.')
  }
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  const template = templateName()
  const name = `cp_test_${randomBytes(6).toString('hex')}`
  try {
    await ensureTemplate(admin, serverUrl, template)
    await admin.query(`create database ${name} template ${template}`)
  } finally {
    await admin.end()
  }
  return {
    url: withDatabase(serverUrl, name),
    async drop () {
      await queryOnce(serverUrl, `drop database if exists ${name} with (force)`)
    }
  }
}
