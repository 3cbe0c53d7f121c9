// One try of one delivery: the job of a channel's queue. Guarantees:
// - the job carries only the row's id and which try it is; the message is
//   unsealed from the row just before it is handed to the sender;
// - a job that does not match the row (the delivery has ended, or another
//   try has been recorded since) does nothing, so a job that pg-boss runs
//   again after its process died cannot undo a later outcome;
// - a failed try records attempts, last_error, last_attempt_at and
//   next_attempt_at and queues the next try in the same transaction, so a
//   try is never lost between the two; after the channel's limit, or once
//   the link it carries has expired, the delivery ends as 'failed';
// - an ended delivery keeps no message: its payload is cleared;
// - last_error is the error's code and first line, cut short, without
//   credentials of a URL: never the message;
// - a sender may judge its own failure (the channel knows its service's
//   answers): it throws GiveUp when no try can ever succeed (the recipient
//   is gone), and the delivery ends as 'failed' at once; it throws
//   RetryAfter when the service said when to come back, and that delay
//   replaces the backoff (the try still counts toward the limit).
// A process that dies while sending may send a message twice (the job
// runs again): mail and SMS are at-least-once.
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Deps } from '../../types.ts'
import { addSeconds } from '../clock.ts'
import { unseal } from '../sealed.ts'
import { type Channel, type ChannelMessages, type ChannelSender, GiveUp, givesUp, RetryAfter, retryDelaySeconds } from './channels.ts'

/** A try of a delivery: the row's id and how many tries came before it. */
export interface DeliveryJob { id: string, attempt: number }

declare module '../jobs.ts' {
  interface QueueMap { mail: DeliveryJob, sms: DeliveryJob, telegram: DeliveryJob }
}

type SendDeps = Pick<Deps, 'db' | 'clock' | 'jobs' | 'keys'>

/** Short, and nothing that could be the message or a password. */
export function describeError (err: unknown): string {
  const e = err as { code?: unknown, message?: unknown, name?: unknown }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  const line = (message.split('\n')[0] ?? '').replace(/\/\/[^/\s@]*@/g, '//[redacted]@')
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error'
  return `${code}: ${line}`.slice(0, 200)
}

/** Ends a delivery (sent or failed) if the job's try is still the current one. */
async function end (db: Kysely<DB>, job: DeliveryJob, now: Date, outcome: { status: 'sent' } | { status: 'failed', error: string, tried: boolean }): Promise<void> {
  const tried = outcome.status === 'sent' || outcome.tried
  await db.updateTable('deliveries').set({
    status: outcome.status,
    payload: null,
    attempts: tried ? job.attempt + 1 : job.attempt,
    ...(tried ? { last_attempt_at: now } : {}),
    ...(outcome.status === 'sent' ? { sent_at: now } : { last_error: outcome.error })
  }).where('id', '=', job.id).where('status', '=', 'queued').where('attempts', '=', job.attempt).execute()
}

/** Records a failed try and queues the next one, or gives the delivery up. */
async function recordFailure<C extends Channel> (deps: SendDeps, channel: C, sender: ChannelSender<ChannelMessages[C]>, job: DeliveryJob, err: unknown, log: FastifyBaseLogger): Promise<void> {
  const now = deps.clock.now()
  const failures = job.attempt + 1
  const error = describeError(err instanceof GiveUp || err instanceof RetryAfter ? err.cause : err)
  if (err instanceof GiveUp) {
    await end(deps.db, job, now, { status: 'failed', error, tried: true })
    log.warn({ deliveryId: job.id, channel, attempts: failures, error }, 'delivery failed: the channel says it can never go out')
    return
  }
  if (givesUp(sender.retry, failures)) {
    await end(deps.db, job, now, { status: 'failed', error, tried: true })
    log.error({ deliveryId: job.id, channel, attempts: failures, error }, 'delivery failed: given up after the retry limit')
    return
  }
  const delay = err instanceof RetryAfter ? err.seconds : retryDelaySeconds(sender.retry, failures)
  await deps.db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable('deliveries').set({
      attempts: failures, last_error: error, last_attempt_at: now, next_attempt_at: addSeconds(now, delay)
    }).where('id', '=', job.id).where('status', '=', 'queued').where('attempts', '=', job.attempt)
      .returning('id').executeTakeFirst()
    if (updated !== undefined) await deps.jobs.send(channel, { id: job.id, attempt: failures }, trx, { startAfterSeconds: delay })
  })
  log.warn({ deliveryId: job.id, channel, attempts: failures, retryInSeconds: Math.round(delay), error }, 'delivery failed; it will be tried again')
}

/**
 * A job queued before deliveries existed carries its message itself (mail)
 * or sealed (SMS): it is sent as it was then, and retried by pg-boss, so
 * that an upgrade loses no message in flight. Remove once none can be left.
 */
export async function sendLegacyJob<C extends Channel> (deps: Pick<Deps, 'keys'>, channel: C, sender: ChannelSender<ChannelMessages[C]>, data: unknown): Promise<boolean> {
  const d = data as Record<string, unknown>
  if (typeof d.id === 'string' && typeof d.attempt === 'number') return false
  if (channel === 'sms' && typeof d.sealed === 'string') await sender.send(unseal(deps.keys.jobs, d.sealed))
  else if (channel === 'mail' && typeof d.to === 'string') await sender.send(d as unknown as ChannelMessages[C])
  return true
}

/** Works one job of the channel's queue. */
export async function deliver<C extends Channel> (deps: SendDeps, channel: C, sender: ChannelSender<ChannelMessages[C]>, job: DeliveryJob, log: FastifyBaseLogger): Promise<void> {
  const row = await deps.db.selectFrom('deliveries').select(['payload', 'status', 'attempts', 'expires_at'])
    .where('id', '=', job.id).where('channel', '=', channel).executeTakeFirst()
  if (row === undefined || row.status !== 'queued' || row.attempts !== job.attempt || row.payload === null) return
  const now = deps.clock.now()
  if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now.getTime()) {
    await end(deps.db, job, now, { status: 'failed', error: 'expired: what it carries was no longer valid', tried: false })
    log.warn({ deliveryId: job.id, channel }, 'delivery failed: expired before it could be sent')
    return
  }
  let message: ChannelMessages[C]
  try {
    message = unseal<ChannelMessages[C]>(deps.keys.jobs, row.payload)
  } catch {
    // Sealed under another key (SESSION_SECRET changed): no retry can open it.
    await end(deps.db, job, now, { status: 'failed', error: 'cannot be unsealed: was SESSION_SECRET changed?', tried: false })
    log.error({ deliveryId: job.id, channel }, 'delivery failed: its message cannot be unsealed')
    return
  }
  try {
    await sender.send(message)
  } catch (err) {
    await recordFailure(deps, channel, sender, job, err, log)
    return
  }
  await end(deps.db, job, deps.clock.now(), { status: 'sent' })
}
