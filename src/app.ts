// buildApp(config): the whole service as a Fastify instance. It opens the
// database (PostgreSQL or the embedded one), migrates it, starts the job
// queue and registers the plugins and features. It never reads process.env.
import path from 'node:path'
import formbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'
import * as onExit from 'on-exit-leak-free'
import pino from 'pino'
import type { Config } from './config.ts'
import { openDatabase } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { features } from './features/index.ts'
import { type Clock, systemClock } from './lib/clock.ts'
import { deliveryQueues } from './lib/deliveries/index.ts'
import { Jobs } from './lib/jobs.ts'
import { decorateRouteConfig } from './lib/route-config.ts'
import { serviceKeys } from './lib/keys.ts'
import { createMailSender, type SendMail } from './lib/mail.ts'
import { createSmsSender, type SendSms } from './lib/sms.ts'
import { createTelegramSender, type SendTelegram } from './lib/telegram.ts'
import guardsPlugin, { builtInGuards, routeRulesPlugin } from './plugins/guards.ts'
import csrfPlugin from './plugins/csrf.ts'
import errorsPlugin, { answerError } from './plugins/errors.ts'
import securityPlugin from './plugins/security.ts'
import sessionPlugin from './plugins/session.ts'
import viewPlugin, { viewsDir } from './plugins/view.ts'
import type { SettingsBlock } from './lib/feature.ts'
import type { MessageKey } from './lib/i18n.ts'
import type { Deps } from './types.ts'

export interface BuildOptions {
  clock?: Clock
  sendMail?: SendMail
  sendSms?: SendSms
  sendTelegram?: SendTelegram
  logger?: FastifyServerOptions['logger']
  /** More routes in the browser's scope under BASE_PATH, after the features' (a test's own pages): each passes the session, CSRF and guard hooks as a feature's would. */
  browserRoutes?: FastifyPluginAsync
}

/** Paths carrying a secret (set-password and email-change links, an SSO link's ?token=) are logged without it. */
export function redactUrl (url: string): string {
  // Most paths carry none: two regular expressions on every log line otherwise.
  if (!url.includes('token=') && !url.includes('/password/reset/') && !url.includes('/email/confirm/')) return url
  return url.replace(/\/(password\/reset|email\/confirm)\/[^/?#]+/, '/$1/[redacted]').replace(/([?&]token=)[^&#]*/g, '$1[redacted]')
}

/** One line per request, when it is answered, instead of Fastify's two: half the logging work on every page. */
export class OneLinePerRequest extends LogController {
  override incomingRequest (): void {}
  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: redactUrl(request.url), status: reply.statusCode, ip: request.ip, ms: Math.round(reply.elapsedTime * 10) / 10 }
    if (error === null || error === undefined) request.log.info(line, 'request')
    else request.log.error({ ...line, err: error }, 'request errored')
  }
}

/**
 * The service's logger: JSON lines to `dest` (stdout), in 4 KB writes at
 * least once a second, each written at once (sync), not handed to libuv's
 * thread pool. Fastify's default writes each line by itself through a worker
 * thread (a write and two thread wake-ups a request: about a fifth of the
 * Profile page's CPU); buffered, one write carries some twenty requests'
 * lines; and the thread pool's hand-over of each buffer still cost the
 * provider API a sixth of its CPU (`npm run bench -- --api`: 121–142 µs a
 * call, 102–111 µs written at once). A write blocks only while the pipe
 * behind stdout is full, as pino's own default destination does for every
 * line. pino writes what is buffered when the process exits; a process
 * killed outright (SIGKILL) loses at most the last second.
 */
export function serviceLogger (config: Pick<Config, 'logLevel'>, dest: number | string = 1): NonNullable<FastifyServerOptions['logger']> {
  const stream = pino.destination({ dest, sync: true, minLength: 4096, periodicFlush: 1000 })
  // pino flushes at exit only the destinations it writes asynchronously; this
  // one buffers too. Held weakly: a logger that is gone is not kept for it.
  onExit.register(stream, (s) => { s.flushSync() })
  return {
    level: config.logLevel,
    serializers: {
      req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip })
    },
    stream
  }
}

export async function buildApp (config: Readonly<Config>, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    logger: opts.logger ?? serviceLogger(config),
    logController: new OneLinePerRequest(),
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // No limit on how long a plugin takes to register (Fastify's default: 10 s,
    // then the start fails). The database is opened and migrated before any
    // plugin runs; the plugins only register routes and compile schemas and
    // templates, CPU work that a loaded machine slows but nothing can hang.
    // On a two-core machine loaded by a second suite, a test file's app
    // (test/e2e/settings.test.ts) took longer than 10 s there and never started.
    pluginTimeout: 0
  })
  const database = await openDatabase(config)
  try {
    await migrateToLatest(database.db)
    const jobs = new Jobs({
      url: database.url,
      applicationName: database.connectionName,
      retryDelaySeconds: config.deliveryRetryDelaySeconds,
      retryLimit: config.deliveryRetryLimit,
      log: app.log,
      work: true
    })
    const deps: Deps = {
      config,
      db: database.db,
      pool: database.pool,
      clock: opts.clock ?? systemClock,
      jobs,
      sendMail: opts.sendMail ?? createMailSender(config),
      sendSms: opts.sendSms ?? createSmsSender(config),
      sendTelegram: opts.sendTelegram ?? createTelegramSender(config),
      keys: serviceKeys(config.sessionSecret)
    }
    jobs.define(deliveryQueues(deps))
    for (const feature of features) if (feature.jobs !== undefined) jobs.define(feature.jobs(deps))
    await jobs.start()
    app.addHook('onClose', async () => {
      await jobs.stop()
      await database.close()
    })
    app.decorate('deps', deps)
  } catch (err) {
    await database.close()
    throw err
  }

  try {
    await registerEverything(app, config, opts.browserRoutes)
  } catch (err) {
    // The queue and the database are open: a startup that fails stops them too.
    await app.close()
    throw err
  }
  return app
}

/**
 * Two scopes under the root: the browser's (formbody, the session, the
 * language and views, the CSRF check, the error pages, the guards, static
 * files; every feature's pages) and the machines' (the provider API, health
 * checks: Feature.sessionless). Fastify runs a scope's hooks for its routes
 * only, so a call to the API runs no session, language, CSRF or guard hook
 * at all, instead of each skipping it. The root keeps what holds for
 * every route: the route rules and table, and the features' declarations.
 */
async function registerEverything (app: FastifyInstance, config: Readonly<Config>, browserRoutes: FastifyPluginAsync | undefined): Promise<void> {
  decorateRouteConfig(app)
  await app.register(routeRulesPlugin)
  declareFeatures(app)
  const prefix = config.basePath.slice(0, -1)
  await app.register(async function browser (scope) {
    await scope.register(formbody)
    await scope.register(securityPlugin, { for: 'browser' })
    await scope.register(sessionPlugin)
    await scope.register(viewPlugin)
    await scope.register(csrfPlugin)
    await scope.register(errorsPlugin)
    await scope.register(guardsPlugin)
    await scope.register(fastifyStatic, {
      root: path.join(viewsDir, '..', 'public'),
      prefix: `${config.basePath}static/`,
      index: false,
      maxAge: '1h'
    })
    for (const feature of features) {
      if (feature.routes !== undefined && feature.sessionless !== true) await scope.register(feature.routes, { prefix })
    }
    if (browserRoutes !== undefined) await scope.register(browserRoutes, { prefix })
  })
  await app.register(async function machines (scope) {
    await scope.register(securityPlugin, { for: 'machine' })
    scope.setErrorHandler(answerError)
    for (const feature of features) {
      if (feature.routes !== undefined && feature.sessionless === true) await scope.register(sessionless(feature.routes), { prefix })
    }
  })
  for (const route of app.routeTable) {
    if (route.operation !== undefined && app.operations[route.operation] === undefined) {
      throw new Error(`${route.method} ${route.url} re-confirms "${route.operation}", which no feature declares`)
    }
  }
}

/**
 * A sessionless feature's routes (Feature.sessionless), for the machines'
 * scope: public or provider (which authenticates itself) and JSON only, or
 * the app does not start, since no guard runs for them.
 */
export function sessionless (routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app, opts) => {
    app.addHook('onRoute', (route) => {
      const { access, kind } = route.config ?? {}
      if (access !== 'public' && access !== 'provider') throw new Error(`sessionless route ${String(route.method)} ${route.url} must be public or provider, not ${JSON.stringify(access)}: no guard runs for it`)
      if (kind !== 'api' && route.method !== 'HEAD') throw new Error(`sessionless route ${String(route.method)} ${route.url} must be of kind 'api': it answers JSON, not a page`)
    })
    await routes(app, opts)
  }
}

/** What the features declare beside their routes: menu, settings blocks, guards, operations, event sentences; on the root, for both scopes. */
function declareFeatures (app: FastifyInstance): void {
  app.decorate('nav', [])
  app.decorate('guards', [...builtInGuards])
  const operations: Record<string, MessageKey> = {}
  const sentences: Record<string, MessageKey> = {}
  const blocks: SettingsBlock[] = []
  for (const feature of features) {
    app.nav.push(...feature.nav ?? [])
    app.guards.push(...feature.guards ?? [])
    blocks.push(...feature.settings ?? [])
    for (const [op, label] of Object.entries(feature.operations ?? {})) {
      if (operations[op] !== undefined) throw new Error(`operation ${op} is declared twice`)
      operations[op] = label
    }
    Object.assign(sentences, feature.events)
  }
  app.decorate('operations', operations)
  app.decorate('eventSentences', sentences)
  app.decorate('settingsBlocks', blocks.sort((a, b) => a.order - b.order))
}
