// The job queue when instances of the service start together on one
// database that has no queues yet (a first deployment of two replicas):
// each creates every queue, and pg-boss's create_queue run at once from
// several processes deadlocked, so that one of them exited at start.
import type { FastifyBaseLogger } from 'fastify'
import t from 'tap'
import { Jobs, type QueueDefinitions } from '../../src/lib/jobs.ts'
import { createTestDatabase } from '../helpers/db.ts'
import { eventually } from '../helpers/wait.ts'

const silent = (() => {
  const noop = (): void => {}
  const log: Record<string, unknown> = { level: 'silent', fatal: noop, error: noop, warn: noop, info: noop, debug: noop, trace: noop, silent: noop }
  log.child = () => log
  return log as unknown as FastifyBaseLogger
})()

t.test('three processes start their queues at once on a fresh database', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  // As many queues as the service has, each process creating them in its own order.
  const names = Array.from({ length: 16 }, (_, i) => `queue-${i}`)
  const starts = [0, 1, 2].map((n) => {
    const jobs = new Jobs({ url: database.url, retryDelaySeconds: 1, retryLimit: 1, log: silent, work: false })
    const order = n === 1 ? [...names].reverse() : names
    jobs.define(Object.fromEntries(order.map((name) => [name, { work: async () => {} }])))
    t.teardown(() => jobs.stop())
    return jobs.start()
  })
  const results = await Promise.allSettled(starts)
  t.same(results.map((r) => r.status === 'rejected' ? String(r.reason) : 'started'), ['started', 'started', 'started'], 'each process started')
})

t.test('a worker drains a queue job after job: it waits its polling interval only when it finds none', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const done: number[] = []
  // A queue of the test's own, outside the service's QueueMap.
  const define = (jobs: Jobs): void => { jobs.define({ burst: { work: async (data: { n: number }) => { done.push(data.n) } } } as unknown as QueueDefinitions) }
  const sender = new Jobs({ url: database.url, retryDelaySeconds: 1, retryLimit: 1, log: silent, work: false })
  define(sender)
  await sender.start()
  t.teardown(() => sender.stop())
  const send = sender.send.bind(sender) as unknown as (queue: string, data: { n: number }) => Promise<void>
  for (let n = 0; n < 5; n++) await send('burst', { n })
  // An hour between empty fetches: a worker that waited it after every job
  // (pg-boss's own loop) would do one job and then nothing for the test's life.
  const worker = new Jobs({ url: database.url, retryDelaySeconds: 1, retryLimit: 1, log: silent, work: true, pollingIntervalSeconds: 3600 })
  define(worker)
  await worker.start()
  t.teardown(() => worker.stop())
  await eventually('the five jobs to be done', () => done.length === 5 ? true : undefined, () => `done: ${JSON.stringify(done)}`)
  t.same([...done].sort(), [0, 1, 2, 3, 4])
})
