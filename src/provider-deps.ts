// The service's Deps for a process that serves no request and works no job:
// the provider CLI, and tests that act as the provider beside running
// instances. Its job queue only sends: the running service's workers
// deliver what it queues (a request's status mail, a webhook). The queues
// are declared from the same definitions as the service's.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from './config.ts'
import type { Database } from './db/database.ts'
import { features } from './features/index.ts'
import { systemClock } from './lib/clock.ts'
import { deliveryQueues } from './lib/deliveries/index.ts'
import { Jobs } from './lib/jobs.ts'
import { serviceKeys } from './lib/keys.ts'
import { createMailSender } from './lib/mail.ts'
import { createSmsSender } from './lib/sms.ts'
import { createTelegramSender } from './lib/telegram.ts'
import type { Deps } from './types.ts'

/** Warnings and errors on stderr, the rest dropped (stdout may be a command's JSON). */
export const stderrLog: FastifyBaseLogger = (() => {
  const write = (...args: unknown[]): void => { console.error(...args.filter((a) => typeof a === 'string')) }
  const noop = (): void => {}
  const log: Record<string, unknown> = { level: 'warn', fatal: write, error: write, warn: write, info: noop, debug: noop, trace: noop, silent: noop }
  log.child = () => log
  return log as unknown as FastifyBaseLogger
})()

/** Deps on an open database with a started, non-working queue; stop `deps.jobs` before closing the database. */
export async function providerDeps (config: Readonly<Config>, database: Database): Promise<Deps> {
  const jobs = new Jobs({ url: database.url, applicationName: database.connectionName, retryDelaySeconds: config.deliveryRetryDelaySeconds, retryLimit: config.deliveryRetryLimit, log: stderrLog, work: false })
  const deps: Deps = {
    config,
    db: database.db,
    pool: database.pool,
    clock: systemClock,
    jobs,
    sendMail: createMailSender(config),
    sendSms: createSmsSender(config),
    sendTelegram: createTelegramSender(config),
    keys: serviceKeys(config.sessionSecret)
  }
  jobs.define(deliveryQueues(deps))
  for (const feature of features) if (feature.jobs !== undefined) jobs.define(feature.jobs(deps))
  await jobs.start()
  return deps
}
