// One try of one webhook delivery: the job of the `webhook` queue, which
// carries only the delivery's id and which try it is. Guarantees:
// - a stream (one receiver, one user) sends one delivery at a time, oldest
//   first: a job whose delivery is not its stream's head does nothing, and
//   the head's outcome (sent, or given up) queues the next head's job, under
//   the stream's lock (relay.ts), so a later event always waits;
// - streams are independent: a receiver that is down holds up only its own
//   streams, never another receiver's or another user's;
// - the webhook-id is the event's, the same on every try and for every
//   receiver; webhook-timestamp is the try's own (receivers refuse old ones);
// - a try is one POST with a timeout (WEBHOOK_TIMEOUT_MS), no redirect
//   followed; a 2xx answer is success; 410 Gone gives the delivery up at once
//   (the receiver says it wants no more of it); anything else, or no answer,
//   is retried with the deliveries' backoff (DELIVERY_RETRY_* : about a day)
//   and then given up, recorded as failed, and the stream goes on;
// - the answer's body is never stored: last_error is the status and at most
//   100 characters of it, or the error's code and first line.
// A process that dies while sending may send a webhook twice (the job runs
// again): webhooks are at-least-once, and receivers drop a repeated
// webhook-id.
import type { FastifyBaseLogger } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { addSeconds } from '../../lib/clock.ts'
import { GiveUp, givesUp, retryDelaySeconds, type BackoffPolicy } from '../../lib/deliveries/channels.ts'
import { describeError } from '../../lib/deliveries/send.ts'
import type { Deps } from '../../types.ts'
import { lockStream, streamHead } from './relay.ts'

export interface WebhookJob { id: string, attempt: number }

declare module '../../lib/jobs.ts' {
  interface QueueMap { webhook: WebhookJob }
}

export const WEBHOOK_TIMEOUT_MS = 10_000

type DeliverDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'jobs'>

/** The deliveries' policy: the configured base and cap, and the limit (about a day). */
export function webhookRetry (config: Deps['config']): BackoffPolicy {
  return { baseSeconds: config.deliveryRetryDelaySeconds, capSeconds: config.deliveryRetryMaxDelaySeconds, limit: config.deliveryRetryLimit }
}

/** The JSON body: {type, timestamp, data}; with fullAccess, every permission of the catalog is listed. */
export function webhookBody (config: Deps['config'], event: { type: string, created_at: Date, data: Record<string, unknown> }): string {
  const data = event.type === 'permissions.changed' && event.data.fullAccess === true
    ? { ...event.data, permissions: [...config.permissionCatalog.keys].sort() }
    : event.data
  return JSON.stringify({ type: event.type, timestamp: new Date(event.created_at).toISOString(), data })
}

class HttpFailure extends Error {
  constructor (readonly status: number, text: string) {
    super(`HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${text === '' ? '' : `: ${text}`}`)
    this.name = 'HttpFailure'
  }
}

/** One POST; throws HttpFailure on a non-2xx answer, GiveUp on 410. */
export async function postWebhook (url: string, secret: string, messageId: string, body: string): Promise<void> {
  const now = new Date() // the signature's time is the try's, by the real clock: receivers compare it with theirs
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'client-area-webhooks',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, now, body)
  }
  const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) })
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel()
    return
  }
  // Only the start of the answer is kept; a body that breaks off says nothing more.
  const text = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 100)
  const failure = new HttpFailure(res.status, text)
  throw res.status === 410 ? new GiveUp(failure) : failure
}

/** Ends the delivery (sent or failed) and queues its stream's next head, in one transaction. */
async function end (deps: DeliverDeps, job: WebhookJob, row: { receiver: string, user_id: string }, outcome: { status: 'sent' } | { status: 'failed', error: string }): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await lockStream(trx, row.receiver, row.user_id)
    const ended = await trx.updateTable('webhook_deliveries').set({
      status: outcome.status,
      attempts: job.attempt + 1,
      last_attempt_at: now,
      ...(outcome.status === 'sent' ? { sent_at: now } : { last_error: outcome.error })
    }).where('id', '=', job.id).where('status', '=', 'queued').where('attempts', '=', job.attempt)
      .returning('id').executeTakeFirst()
    if (ended === undefined) return
    const next = await streamHead(trx, row.receiver, row.user_id)
    if (next !== undefined) await deps.jobs.send('webhook', { id: next.id, attempt: next.attempts }, trx)
  })
}

/** Works one job of the webhook queue. */
export async function deliverWebhook (deps: DeliverDeps, job: WebhookJob, log: FastifyBaseLogger): Promise<void> {
  const row = await deps.db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['d.receiver', 'd.user_id', 'd.seq', 'd.status', 'd.attempts', 'e.message_id', 'e.type', 'e.data', 'e.created_at'])
    .where('d.id', '=', job.id).executeTakeFirst()
  if (row === undefined || row.status !== 'queued' || row.attempts !== job.attempt) return
  const head = await streamHead(deps.db, row.receiver, row.user_id)
  // An earlier event of the stream is still on its way: its outcome queues this one.
  if (head === undefined || head.id !== job.id) return
  const secret = deps.config.webhookSecret
  if (!deps.config.webhookUrls.includes(row.receiver) || secret === undefined) {
    await end(deps, job, row, { status: 'failed', error: 'the receiver is no longer in WEBHOOK_URLS' })
    log.warn({ webhookDeliveryId: job.id }, 'webhook given up: its receiver is no longer configured')
    return
  }
  try {
    await postWebhook(row.receiver, secret, row.message_id, webhookBody(deps.config, row))
  } catch (err) {
    await recordFailure(deps, job, row, err, log)
    return
  }
  await end(deps, job, row, { status: 'sent' })
}

/** fetch's own error says only "fetch failed": its cause says why (ECONNREFUSED, a TLS error). */
function causeOf (err: unknown): unknown {
  return err instanceof TypeError && err.cause !== undefined ? err.cause : err
}

async function recordFailure (deps: DeliverDeps, job: WebhookJob, row: { receiver: string, user_id: string }, err: unknown, log: FastifyBaseLogger): Promise<void> {
  const failures = job.attempt + 1
  const error = describeError(causeOf(err instanceof GiveUp ? err.cause : err))
  const policy = webhookRetry(deps.config)
  if (err instanceof GiveUp || givesUp(policy, failures)) {
    await end(deps, job, row, { status: 'failed', error })
    log.error({ webhookDeliveryId: job.id, attempts: failures, error }, 'webhook given up')
    return
  }
  const now = deps.clock.now()
  const delay = retryDelaySeconds(policy, failures)
  await deps.db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable('webhook_deliveries').set({
      attempts: failures, last_error: error, last_attempt_at: now, next_attempt_at: addSeconds(now, delay)
    }).where('id', '=', job.id).where('status', '=', 'queued').where('attempts', '=', job.attempt)
      .returning('id').executeTakeFirst()
    if (updated !== undefined) await deps.jobs.send('webhook', { id: job.id, attempt: failures }, trx, { startAfterSeconds: delay })
  })
  log.warn({ webhookDeliveryId: job.id, attempts: failures, retryInSeconds: Math.round(delay), error }, 'webhook failed; it will be tried again')
}
