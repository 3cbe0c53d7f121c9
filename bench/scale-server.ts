// The app for the scale benchmark (bench/scale.ts) on DATABASE_URL, in a
// process of its own so that the load generator does not share its CPU time,
// logging as a user runs it (serviceLogger, LOG_LEVEL or info, to /dev/null). Each
// page's reference is bench/reference.ts. Prints {"port": …} as one JSON
// line, then serves until SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp, serviceLogger } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

const config = loadConfig({ ...process.env, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'cp-scale-')), PORT: '0' })
const app = await buildApp(config, { logger: serviceLogger(config, '/dev/null') })
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(JSON.stringify({ port: (app.server.address() as { port: number }).port }) + '\n')

const stop = async (): Promise<void> => {
  await app.close()
  rmSync(config.dataDir, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', () => { void stop() })
process.on('SIGINT', () => { void stop() })
