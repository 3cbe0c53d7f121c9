// Outgoing SMS: POST {"to","text"} as JSON to SMS_WEBHOOK_URL (bearer
// SMS_WEBHOOK_TOKEN), or a JSON file in DATA_DIR/outbox/sms/ when it is unset.
// A gateway that does not answer 2xx throws: the delivery is tried again later
// (src/lib/deliveries/).
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'

export interface SmsMessage { to: string, text: string }

export type SendSms = (message: SmsMessage) => Promise<void>

export function createSmsSender (config: Pick<Config, 'smsWebhookUrl' | 'smsWebhookToken' | 'dataDir'>): SendSms {
  const url = config.smsWebhookUrl
  if (url !== undefined) {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (config.smsWebhookToken !== undefined) headers.authorization = `Bearer ${config.smsWebhookToken}`
    return async (m) => {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ to: m.to, text: m.text }), signal: AbortSignal.timeout(10_000) })
      await res.arrayBuffer().catch(() => undefined)
      if (!res.ok) throw new Error(`SMS gateway answered ${res.status}`)
    }
  }
  const outbox = path.join(config.dataDir, 'outbox', 'sms')
  return async (m) => {
    mkdirSync(outbox, { recursive: true })
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`
    writeFileSync(path.join(outbox, name), JSON.stringify({ to: m.to, text: m.text }) + '\n', { mode: 0o600 })
  }
}
