// npm run migrate: brings the configured database up to date and exits.
import { loadConfig } from '../config.ts'
import { openDatabase } from './database.ts'
import { migrateToLatest } from './migrate.ts'

const config = loadConfig(process.env)
const database = await openDatabase(config, { reuseRunning: true })
try {
  const done = await migrateToLatest(database.db)
  console.log(done.length === 0 ? 'The database is up to date.' : `Applied: ${done.join(', ')}`)
} finally {
  await database.close()
}
