// The durable job queue (pg-boss on the same PostgreSQL). Deliveries
// (src/lib/deliveries/) keep their own retry record and schedule their next
// try here: an SMTP or gateway outage delays them and loses none.
import PgBoss from 'pg-boss'
import type { FastifyBaseLogger } from 'fastify'
import { CompiledQuery, type Kysely } from 'kysely'
import pg from 'pg'
import { CONNECT_TIMEOUT_MS, outlivesLostConnection, poolOutlivesLostConnections } from '../db/connection-faults.ts'

export interface JobsOptions {
  url: string
  retryDelaySeconds: number
  retryLimit: number
  log: FastifyBaseLogger
  /** Run the workers in this process (off for the CLI). */
  work: boolean
  /** The application_name of the queue's connections: the database's (Database.connectionName). */
  applicationName?: string
  /** How long a worker waits after a fetch that found nothing; 0.5 s unless given (a test's longer one). */
  pollingIntervalSeconds?: number
}

export type JobHandler<T> = (data: T, job: { id: string, retryCount: number, log: FastifyBaseLogger }) => Promise<void>

export interface SendOptions {
  /** Not before this many seconds from now (the database's clock). */
  startAfterSeconds?: number
}

/**
 * Queue name → its job's payload. Each owner adds its queues by declaration
 * merging, so that send() and define() are checked against each other:
 *
 *   declare module '../../lib/jobs.ts' { interface QueueMap { 'password-reset': ResetRequestJob } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface QueueMap {}
export type QueueName = Extract<keyof QueueMap, string>

/** How a failed job is tried again: after delaySeconds, doubling each time with backoff. */
export interface RetryPolicy { limit: number, delaySeconds: number, backoff: boolean }

export interface QueueDefinition<Q extends QueueName> {
  work: JobHandler<QueueMap[Q]>
  /** The queue's own policy; the configured delivery policy otherwise. */
  retry?: RetryPolicy
  /** Runs on this cron schedule (one run per slot across all processes). */
  cron?: string
}
export type QueueDefinitions = { [Q in QueueName]?: QueueDefinition<Q> }

/** How long a stop waits for running jobs (under the 30 s a container is usually given after SIGTERM). */
export const STOP_WAIT_MS = 20_000

/** The advisory lock key queue creation is serialised under (any number of our own: "jobs" in ASCII). */
const QUEUE_CREATION_LOCK = 0x6a6f6273

/** The queue's connections, handed to pg-boss as its `db`: Jobs.stop closes them when no query runs or waits (settle). */
class QueueDb {
  private readonly pool: pg.Pool
  /** Queries asked for and not yet answered: running, or waiting for a connection. */
  running = 0
  onIdle: () => void = () => {}

  constructor (url: string, applicationName: string | undefined, onError: (err: Error) => void) {
    // Named like the app's own pool (src/db/database.ts), so that closing the embedded server does not count them.
    this.pool = poolOutlivesLostConnections(new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: applicationName }))
    this.pool.on('error', onError)
  }

  async executeSql (text: string, values?: unknown[]): Promise<{ rows: any[] }> {
    this.running++
    try {
      return await this.pool.query(text, values)
    } finally {
      if (--this.running === 0) this.onIdle()
    }
  }

  async close (): Promise<void> {
    if (!this.pool.ending) await this.pool.end()
  }
}

export class Jobs {
  private readonly boss: PgBoss
  private readonly db: QueueDb
  private readonly queues = new Map<string, QueueDefinition<any>>()
  private started = false
  /** Handlers running (a batch each). */
  private working = 0
  private wake: (() => void) | undefined

  constructor (private readonly opts: JobsOptions) {
    // Connections ended while stopping are expected, not errors.
    this.db = new QueueDb(opts.url, opts.applicationName, (err) => { if (this.started) opts.log.error({ err }, 'job queue error') })
    this.db.onIdle = () => { this.wake?.() }
    this.boss = new PgBoss({
      db: this.db,
      // Completed jobs may carry addresses: keep them briefly.
      archiveCompletedAfterSeconds: 3600,
      deleteAfterDays: 2,
      schedule: opts.work,
      supervise: opts.work
    })
    this.boss.on('error', (err) => {
      // Connections ended while stopping are expected, not errors.
      if (this.started) opts.log.error({ err }, 'job queue error')
    })
  }

  /**
   * Creates (or updates) every queue, one process at a time: instances
   * starting together on a database that has no queues yet deadlock in
   * pg-boss's create_queue (each inserts into pgboss.queue and creates a
   * partition table, in its own order), and the loser exits. A session
   * advisory lock on a connection of its own serialises them.
   */
  private async createQueues (): Promise<void> {
    const client = outlivesLostConnection(new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: this.opts.applicationName }))
    await client.connect()
    try {
      await client.query('select pg_advisory_lock($1)', [QUEUE_CREATION_LOCK])
      for (const [queue, { retry }] of this.queues) {
        await this.boss.createQueue(queue, {
          name: queue,
          retryLimit: retry?.limit ?? this.opts.retryLimit,
          retryDelay: retry?.delaySeconds ?? this.opts.retryDelaySeconds,
          retryBackoff: retry?.backoff ?? false
        })
      }
    } finally {
      // Ending the session releases its advisory lock.
      await client.end()
    }
  }

  /** Declares queues and what works them. Call before start(). */
  define (definitions: QueueDefinitions): void {
    for (const [queue, definition] of Object.entries(definitions)) {
      if (this.queues.has(queue)) throw new Error(`queue ${queue} is defined twice`)
      this.queues.set(queue, definition)
    }
  }

  async start (): Promise<void> {
    try {
      await this.startQueues()
    } catch (err) {
      // Half started, its timers and connections would keep the process alive.
      await this.boss.stop({ graceful: false, wait: true }).catch(() => {})
      await this.db.close().catch(() => {})
      throw err
    }
    this.started = true
  }

  private async startQueues (): Promise<void> {
    await this.boss.start()
    await this.createQueues()
    for (const [queue, { work: handler, cron }] of this.queues) {
      if (cron !== undefined && this.opts.work) await this.boss.schedule(queue, cron)
      if (!this.opts.work) continue
      // includeMetadata: the job's retryCount reaches the handler (a handler
      // that records its last try as given up needs it; without it, always 0).
      // pg-boss's worker waits its polling interval after every fetch, jobs
      // or not: one job each half second, so a notice to 10 000 users took
      // over an hour to mail. After a job it is told to fetch again at once
      // (notifyWorker), so a queue drains at the speed of its handler and
      // waits the interval only when a fetch finds nothing.
      const worker = await this.boss.work<object>(queue, { pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 0.5, batchSize: 1, includeMetadata: true }, async (jobs) => {
        this.working++
        // Read when a fetch has brought jobs, long after work() has answered.
        this.boss.notifyWorker(worker)
        try {
          for (const job of jobs) {
            try {
              await handler(job.data, { id: job.id, retryCount: (job as { retryCount?: number }).retryCount ?? 0, log: this.opts.log })
            } catch (err) {
              this.opts.log.warn({ err, queue, jobId: job.id }, 'job failed; it will be tried again')
              throw err
            }
          }
        } finally {
          if (--this.working === 0) this.wake?.()
        }
      })
    }
  }

  /** Queues a job; with trx, inside that transaction (the job exists only if it commits). */
  async send<Q extends QueueName> (queue: Q, data: QueueMap[Q], trx?: Kysely<any>, options: SendOptions = {}): Promise<void> {
    if (!this.queues.has(queue)) throw new Error(`unknown queue ${queue}`)
    const startAfter = options.startAfterSeconds === undefined ? {} : { startAfter: options.startAfterSeconds }
    if (trx === undefined) {
      await this.boss.send(queue, data as object, startAfter)
      return
    }
    const db = {
      executeSql: async (text: string, values: unknown[]) => {
        const result = await trx.executeQuery(CompiledQuery.raw(text, values))
        return { rows: result.rows as any[] }
      }
    }
    await this.boss.send(queue, data as object, { ...startAfter, db })
  }

  /**
   * Stops taking jobs and waits for the running ones to finish (at most
   * STOP_WAIT_MS; a job still running then is failed and tried again later,
   * by this or another instance), then closes the queue's connections.
   */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    const deadline = Date.now() + STOP_WAIT_MS
    await this.boss.stop({ graceful: true, timeout: STOP_WAIT_MS, wait: true })
    await this.settle(deadline)
    await this.db.close()
  }

  /**
   * pg-boss's stop waits for the jobs running when it begins, but a worker
   * whose fetch was under way then can still get a job and run it. Until no
   * query of the queue runs or waits and no handler runs (at most until the
   * deadline), the queue's connections stay open, and so does the database
   * the handlers use (closed after this). A query waiting for a connection
   * of a pool that is closed is never answered (pg-pool), and the worker
   * waiting on it, never ending, keeps the process alive for ever.
   */
  private async settle (deadline: number): Promise<void> {
    for (;;) {
      // What an answered query sets off (a fetch's jobs reaching their handler, a completion's query) has started by setImmediate's turn.
      await new Promise((resolve) => setImmediate(resolve))
      if (this.db.running === 0 && this.working === 0) return
      const left = deadline - Date.now()
      if (left <= 0) {
        this.opts.log.warn({ queries: this.db.running, handlers: this.working }, 'job queue closed with work still under way')
        return
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(timer); resolve() }
      })
      this.wake = undefined
    }
  }

  /** Why the queue cannot take jobs now (stopped, or its tables unreachable); undefined when it can. */
  async unreadyReason (): Promise<string | undefined> {
    if (!this.started) return 'stopped'
    try {
      await this.boss.getDb().executeSql('select 1 from pgboss.version', [])
      return undefined
    } catch (err) {
      return `unreachable: ${(err as Error).message}`
    }
  }
}
