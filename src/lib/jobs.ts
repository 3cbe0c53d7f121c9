// The durable job queue (pg-boss on the same PostgreSQL). Deliveries are
// retried until they go through: an SMTP or gateway outage delays them and
// loses none.
import PgBoss from 'pg-boss'
import type { FastifyBaseLogger } from 'fastify'
import { CompiledQuery, type Kysely } from 'kysely'

export interface JobsOptions {
  url: string
  retryDelaySeconds: number
  retryLimit: number
  log: FastifyBaseLogger
  /** Run the workers in this process (off for the CLI). */
  work: boolean
}

export type JobHandler<T> = (data: T, job: { id: string, retryCount: number }) => Promise<void>

export class Jobs {
  private readonly boss: PgBoss
  private readonly handlers = new Map<string, JobHandler<any>>()
  private started = false

  constructor (private readonly opts: JobsOptions) {
    this.boss = new PgBoss({
      connectionString: opts.url,
      max: 3,
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

  /** Declares a queue and the handler that works it. Call before start(). */
  define<T extends object> (queue: string, handler: JobHandler<T>): void {
    this.handlers.set(queue, handler)
  }

  async start (): Promise<void> {
    await this.boss.start()
    for (const [queue, handler] of this.handlers) {
      await this.boss.createQueue(queue, {
        name: queue,
        retryLimit: this.opts.retryLimit,
        retryDelay: this.opts.retryDelaySeconds,
        retryBackoff: false
      })
      if (!this.opts.work) continue
      await this.boss.work<object>(queue, { pollingIntervalSeconds: 0.5, batchSize: 1 }, async (jobs) => {
        for (const job of jobs) {
          try {
            await handler(job.data, { id: job.id, retryCount: (job as { retryCount?: number }).retryCount ?? 0 })
          } catch (err) {
            this.opts.log.warn({ err, queue, jobId: job.id }, 'job failed; it will be tried again')
            throw err
          }
        }
      })
    }
    this.started = true
  }

  /** Runs the queue's job on a cron schedule (one run per slot across all processes). */
  async schedule (queue: string, cron: string): Promise<void> {
    if (this.opts.work) await this.boss.schedule(queue, cron)
  }

  /** Queues a job; with trx, inside that transaction (the job exists only if it commits). */
  async send<T extends object> (queue: string, data: T, trx?: Kysely<any>): Promise<void> {
    if (!this.handlers.has(queue)) throw new Error(`unknown queue ${queue}`)
    if (trx === undefined) {
      await this.boss.send(queue, data)
      return
    }
    const db = {
      executeSql: async (text: string, values: unknown[]) => {
        const result = await trx.executeQuery(CompiledQuery.raw(text, values))
        return { rows: result.rows as any[] }
      }
    }
    await this.boss.send(queue, data, { db })
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.boss.stop({ graceful: true, timeout: 5000, wait: true })
  }
}
