// Webhooks (SPEC §6): the billing front end is told of changes to users,
// permissions, two-factor and personal-data requests. recordEvent writes
// each webhook to the outbox with its change (src/lib/webhooks/outbox.ts);
// the relay (relay.ts) makes one delivery per receiver of WEBHOOK_URLS; the
// `webhook` queue sends them, signed after the Standard Webhooks
// specification, in order per receiver and user (deliver.ts).
import type { FastifyPluginAsync } from 'fastify'
import type { Feature } from '../../lib/feature.ts'
import { deliverWebhook } from './deliver.ts'
import { cleanUpWebhooks, eraseWebhookData, requeueStuckWebhooks } from './queries.ts'
import { startRelay } from './relay.ts'

export { WEBHOOK_OF, type WebhookType } from '../../lib/webhooks/outbox.ts'

declare module '../../lib/jobs.ts' {
  interface QueueMap { 'webhook-cleanup': Record<string, never> }
}

/** Not routes: the relay's loop, which runs while the service does (not in the CLI, which works no jobs). */
const relayLoop: FastifyPluginAsync = async (app) => {
  const stop = startRelay(app.deps, app.log)
  app.addHook('preClose', stop)
}

export const webhooks: Feature = {
  name: 'webhooks',
  routes: relayLoop,
  jobs: (deps) => {
    // pg-boss retries only a try that never recorded its outcome (its process died); the backoff is the delivery's own.
    const crashRetry = { limit: 5, delaySeconds: deps.config.deliveryRetryDelaySeconds, backoff: true }
    return {
      webhook: { work: async (job, info) => { await deliverWebhook(deps, job, info.log) }, retry: crashRetry },
      'webhook-cleanup': { work: async () => { await cleanUpWebhooks(deps); await requeueStuckWebhooks(deps) }, cron: '17 * * * *' }
    }
  },
  personalData: { erase: eraseWebhookData }
}
