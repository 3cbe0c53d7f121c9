// A webhook receiver on loopback, as a billing front end would run one: it
// verifies every request's signature with the standardwebhooks package
// (Webhook.verify: webhook-id, webhook-timestamp, webhook-signature) and
// records what came. It answers `status` (204 unless set), or a redirect to
// `redirectTo`; it can be stopped and started on the same port (a refused
// connection).
import http from 'node:http'
import { Webhook } from 'standardwebhooks'
import { listenOn } from './listen.ts'

export interface ReceivedWebhook {
  id: string
  timestamp: string
  signature: string
  /** The raw body, as signed. */
  body: string
  verified: boolean
  payload: { type: string, timestamp: string, data: Record<string, unknown> }
  /** What the receiver answered. */
  answered: number
}

export class TestWebhookReceiver {
  readonly received: ReceivedWebhook[] = []
  status = 204
  redirectTo: string | undefined
  private server: http.Server | undefined
  port = 0

  constructor (private readonly secret: string) {}

  static async started (t: { teardown: (fn: () => unknown) => void }, secret: string): Promise<TestWebhookReceiver> {
    const r = new TestWebhookReceiver(secret)
    await r.start()
    t.teardown(() => r.stop())
    return r
  }

  get url (): string { return `http://127.0.0.1:${this.port}/hooks` }

  /** The webhooks it accepted (verified, answered 2xx). */
  get accepted (): ReceivedWebhook[] { return this.received.filter((w) => w.verified && w.answered < 300) }

  /** Accepted webhooks about one user, in the order they came. */
  of (userId: string): ReceivedWebhook[] { return this.accepted.filter((w) => w.payload.data.userId === userId) }

  async start (): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => { body += chunk })
      req.on('end', () => {
        const h = (name: string): string => String(req.headers[name] ?? '')
        let verified = true
        try {
          new Webhook(this.secret).verify(body, { 'webhook-id': h('webhook-id'), 'webhook-timestamp': h('webhook-timestamp'), 'webhook-signature': h('webhook-signature') })
        } catch {
          verified = false
        }
        const answered = !verified ? 400 : this.redirectTo !== undefined ? 307 : this.status
        let payload = { type: '', timestamp: '', data: {} }
        try {
          payload = JSON.parse(body)
        } catch {
          // Not JSON: recorded with an empty payload (and unverified, or the test sees it).
        }
        this.received.push({ id: h('webhook-id'), timestamp: h('webhook-timestamp'), signature: h('webhook-signature'), body, verified, payload, answered })
        res.writeHead(answered, this.redirectTo !== undefined ? { location: this.redirectTo } : {}).end(answered >= 300 ? 'not today\n  (a test receiver)' : '')
      })
    })
    await listenOn(this.server, this.port)
    this.port = (this.server.address() as { port: number }).port
  }

  async stop (): Promise<void> {
    const s = this.server
    this.server = undefined
    if (s !== undefined) {
      s.closeAllConnections()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    }
  }
}
