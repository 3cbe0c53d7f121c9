// npm start: configuration from the environment, the app, listen, and a
// graceful close on SIGINT/SIGTERM.
import type { AddressInfo } from 'node:net'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { framedByOthers } from './lib/site-cookies.ts'

let config
try {
  config = loadConfig(process.env)
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`)
    process.exit(1)
  }
  throw err
}

const app = await buildApp(config)
if (config.publicUrl.protocol === 'https:' && config.trustProxy === false) {
  app.log.warn('PUBLIC_URL is https but TRUST_PROXY is unset: behind a TLS-terminating proxy the service sees plain http and will not send its Secure session cookie. Set TRUST_PROXY to the proxy address.')
}
if (framedByOthers(config) && config.publicUrl.protocol !== 'https:') {
  app.log.warn('FRAME_ANCESTORS lets other sites frame the panel, which makes every cookie SameSite=None; Secure: over plain http no session cookie is sent, so nobody can sign in. Serve the panel over https (PUBLIC_URL https, TRUST_PROXY behind a TLS proxy).')
}
// A graceful close (app.close): no new connection is taken and a new request
// on an open one gets 503 (/readyz included); the requests in flight get their full answers; the
// job queue stops taking jobs and waits for the running ones (lib/jobs.ts
// STOP_WAIT_MS); then the pool closes and the embedded PostgreSQL stops
// (unless someone else still uses it). A second signal ends at once.
const close = async (signal: string): Promise<void> => {
  app.log.info({ signal }, 'shutting down: finishing the requests in flight and the running jobs')
  process.once(signal, () => {
    app.log.warn({ signal }, 'second signal: stopping without waiting')
    process.exit(1)
  })
  try {
    await app.close()
  } catch (err) {
    app.log.error({ err }, 'shutdown failed')
    process.exit(1)
  }
  app.log.info('stopped')
  process.exit(0)
}
process.once('SIGINT', () => { void close('SIGINT') })
process.once('SIGTERM', () => { void close('SIGTERM') })

await app.listen({ port: config.port, host: config.host })
// The port listened on: PORT=0 lets the system choose one, and this line says which.
const { port } = app.server.address() as AddressInfo
const accounts = await app.deps.db.selectFrom('accounts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
const where = config.databaseUrl === undefined ? `the embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL at DATABASE_URL'
console.log(`\n${config.appName} is listening on http://${config.host}:${port}${config.basePath} (public address ${config.linkBase}) on ${where}.`)
if (Number(accounts.n) === 0) {
  console.log('There are no accounts yet. Create the first one in another terminal:\n' +
    '  npm run cli -- account:create --email you@example.com --name "Your Name"\n' +
    'It prints a link to set the password; then log in.\n')
}
