// The channels a delivery goes out on, each with its sender and its own
// retry policy. A channel is also the name of its job queue.
//
// Retry policy: exponential backoff with a cap, and "equal jitter": after
// the n-th failed try the next one waits between d/2 and d, where
// d = min(cap, base · 2^(n−1)); after `limit` retries the delivery is given
// up (status 'failed'). So delays grow 1×, 2×, 4× … the base until the cap
// (while the step doubles, a delay is never shorter than the one before);
// the jitter keeps a backlog (every mail queued during an SMTP outage) from
// hitting the server back all in the same second. The base (DELIVERY_RETRY_DELAY_SECONDS, 30 s),
// the cap (DELIVERY_RETRY_MAX_DELAY_SECONDS, 15 min) and the limit
// (DELIVERY_RETRY_LIMIT, 100: about a day of tries) come from the config.
// SMS waits at most a minute: its codes are good for five.
//
// pg-boss 10.4.2 (pinned) has a backoff of its own but no cap (plans.js:
// retry_delay · 2^min(16, n), up to 22 days at a 30 s base), and its retry
// state lives on the job, out of sight of the product. So each try is a job
// of its own: a failed try records attempts, last_error and
// next_attempt_at on the deliveries row and queues the next try with
// startAfter, in one transaction (src/lib/deliveries/send.ts).
import type { Deps } from '../../types.ts'
import type { MailMessage } from '../mail.ts'
import type { SmsMessage } from '../sms.ts'
import { chatGone, forgetChat, type TelegramMessage, TelegramApiError } from '../telegram.ts'

/** Channel → the message its sender takes. Webhooks add theirs here. */
export interface ChannelMessages {
  mail: MailMessage
  sms: SmsMessage
  telegram: TelegramMessage
}
export type Channel = keyof ChannelMessages

export interface BackoffPolicy {
  /** Delay after the first failed try, in seconds. */
  baseSeconds: number
  /** The delay never grows past this. */
  capSeconds: number
  /** Retries after the first try; then the delivery has failed. */
  limit: number
}

/** Thrown by a sender: this delivery can never go out (its recipient is gone); no more tries. */
export class GiveUp extends Error {
  constructor (override readonly cause: unknown) {
    super('given up', { cause })
    this.name = 'GiveUp'
  }
}

/** Thrown by a sender: the service asked for the next try no sooner than this. */
export class RetryAfter extends Error {
  constructor (readonly seconds: number, override readonly cause: unknown) {
    super(`retry after ${seconds} s`, { cause })
    this.name = 'RetryAfter'
  }
}

export interface ChannelSender<M> {
  send: (message: M) => Promise<void>
  retry: BackoffPolicy
}

export type ChannelSenders = { [C in Channel]: ChannelSender<ChannelMessages[C]> }

export const SMS_MAX_DELAY_SECONDS = 60

/**
 * Telegram's answers judged: a chat the bot can no longer write to (the user
 * blocked it, deleted their account, the chat is gone) is unlinked and the
 * message given up, instead of being tried for a day; a 429's retry_after
 * is honoured instead of the backoff.
 */
function telegramSender (deps: Pick<Deps, 'db' | 'clock' | 'sendTelegram'>): ChannelSender<TelegramMessage>['send'] {
  return async (message) => {
    try {
      await deps.sendTelegram(message)
    } catch (err) {
      if (chatGone(err)) {
        await forgetChat(deps.db, message.chatId, deps.clock.now())
        throw new GiveUp(err)
      }
      if (err instanceof TelegramApiError && err.status === 429 && err.retryAfterSeconds !== undefined && err.retryAfterSeconds > 0) {
        throw new RetryAfter(err.retryAfterSeconds, err)
      }
      throw err
    }
  }
}

export function channelSenders (deps: Pick<Deps, 'config' | 'db' | 'clock' | 'sendMail' | 'sendSms' | 'sendTelegram'>): ChannelSenders {
  const { deliveryRetryDelaySeconds: baseSeconds, deliveryRetryMaxDelaySeconds: cap, deliveryRetryLimit: limit } = deps.config
  return {
    mail: { send: deps.sendMail, retry: { baseSeconds, capSeconds: cap, limit } },
    sms: { send: deps.sendSms, retry: { baseSeconds, capSeconds: Math.min(cap, SMS_MAX_DELAY_SECONDS), limit } },
    telegram: { send: telegramSender(deps), retry: { baseSeconds, capSeconds: cap, limit } }
  }
}

/** The delay before the next try after `failures` failed tries (1, 2, …), in seconds. */
export function retryDelaySeconds (policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const full = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** Math.min(Math.max(failures - 1, 0), 40))
  return full / 2 + random() * full / 2
}

/** True when a delivery that has failed `failures` times is not tried again. */
export function givesUp (policy: BackoffPolicy, failures: number): boolean {
  return failures > policy.limit
}
