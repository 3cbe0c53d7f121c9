// Unsubscribe links (SECURITY.md, Codes and tokens): mail providers may call
// them more than once and late, so they are not stored single-use tokens but
// signed: an HMAC (a key of its own, lib/keys.ts) over user, type and
// channel. A link is long-lived and idempotent, and does nothing but switch
// that one type off on that channel. Form: <user>.<type>.<channel>.<mac>.
import { createHmac, timingSafeEqual } from 'node:crypto'

export interface UnsubscribeSubject { userId: string, type: string, channel: 'mail' | 'sms' | 'telegram' }

const CHANNELS = new Set(['mail', 'sms', 'telegram'])
const PART = /^[A-Za-z0-9_-]{1,64}$/

function mac (key: Buffer, s: UnsubscribeSubject): Buffer {
  return createHmac('sha256', key).update(`unsubscribe\n${s.userId}\n${s.type}\n${s.channel}`).digest()
}

export function unsubscribeToken (key: Buffer, s: UnsubscribeSubject): string {
  return `${s.userId}.${s.type}.${s.channel}.${mac(key, s).toString('base64url')}`
}

/** What a token is for, or undefined when it is not one of ours. */
export function readUnsubscribeToken (key: Buffer, token: string): UnsubscribeSubject | undefined {
  const parts = token.split('.')
  if (parts.length !== 4 || !parts.every((p) => PART.test(p))) return undefined
  const [userId, type, channel, given] = parts as [string, string, string, string]
  if (!CHANNELS.has(channel)) return undefined
  const subject = { userId, type, channel: channel as UnsubscribeSubject['channel'] }
  const expected = mac(key, subject)
  const got = Buffer.from(given, 'base64url')
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return undefined
  return subject
}
