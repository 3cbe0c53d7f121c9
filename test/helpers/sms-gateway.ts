// A stand-in for the provider's SMS gateway: an HTTP server on loopback that
// records every {"to","text"} it is sent. It can be stopped and started
// again on the same port to play an outage.
import http from 'node:http'
import { listenOn } from './listen.ts'

export interface ReceivedSms { to: string, text: string, authorization: string | undefined }

export class TestSmsGateway {
  readonly received: ReceivedSms[] = []
  private server: http.Server | undefined
  port = 0

  get url (): string { return `http://127.0.0.1:${this.port}/sms` }

  async start (): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => { body += chunk })
      req.on('end', () => {
        try {
          const msg = JSON.parse(body) as { to: string, text: string }
          this.received.push({ to: msg.to, text: msg.text, authorization: req.headers.authorization })
          res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"queued"}')
        } catch {
          res.writeHead(400).end()
        }
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

  /** The nth SMS to the number (waiting up to timeoutMs). */
  async waitFor (to: string, nth = 1, timeoutMs = 60_000): Promise<ReceivedSms> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.received.filter((m) => m.to === to)
      if (found.length >= nth) return found[nth - 1]!
      if (Date.now() > deadline) throw new Error(`no SMS #${nth} to ${to} within ${timeoutMs} ms; received: ${JSON.stringify(this.received.map((m) => m.to))}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** The code in the nth SMS to the number. */
  async codeFor (to: string, nth = 1): Promise<string> {
    const sms = await this.waitFor(to, nth)
    const m = sms.text.match(/\b(\d{6})\b/)
    if (m === null) throw new Error(`no code in "${sms.text}"`)
    return m[1]!
  }
}
