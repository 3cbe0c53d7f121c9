// Keys derived from the one service secret (SESSION_SECRET, or the one
// generated into DATA_DIR), each for one use, so that no two uses share a key.
import { hkdfSync } from 'node:crypto'

export type KeyUse = 'verification-codes' | 'job-payloads' | 'totp-secrets' | 'unsubscribe-links'

export function deriveKey (secret: string, use: KeyUse): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'client-panel', use, 32))
}

/** The service's keys, as Deps holds them: the service and the CLI derive the same ones. */
export function serviceKeys (secret: string): { codes: Buffer, jobs: Buffer, totp: Buffer, unsubscribe: Buffer } {
  return { codes: deriveKey(secret, 'verification-codes'), jobs: deriveKey(secret, 'job-payloads'), totp: deriveKey(secret, 'totp-secrets'), unsubscribe: deriveKey(secret, 'unsubscribe-links') }
}
