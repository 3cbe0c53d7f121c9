import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, type Kysely, Migrator } from 'kysely'

// Beside src/: migrations/*.ts under tsx, dist/migrations/*.js when compiled.
export const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations')

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest (db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: migrationsDir })
  })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error !== undefined) {
    const where = failed === undefined ? '' : ` (migration ${failed.migrationName})`
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error, shown as it is
    throw new Error(`database migration failed${where}: ${(error as Error).message ?? String(error)}`, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
