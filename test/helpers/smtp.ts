// A real SMTP server on loopback that keeps what it receives.
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { listenOn } from './listen.ts'

export class TestSmtp {
  /** A server started for this test, stopped at its end. */
  static async started (t: { teardown: (fn: () => unknown) => void }): Promise<TestSmtp> {
    const smtp = new TestSmtp()
    await smtp.start()
    t.teardown(() => smtp.stop())
    return smtp
  }

  readonly messages: ParsedMail[] = []
  private server: SMTPServer | undefined
  port = 0
  private waiters: Array<() => void> = []

  get url (): string { return `smtp://127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream).then((mail) => {
          this.messages.push(mail)
          for (const w of this.waiters.splice(0)) w()
          callback()
        }, callback)
      }
    })
    await listenOn(this.server, this.port)
    const address = (this.server as unknown as { server: { address: () => { port: number } } }).server.address()
    this.port = address.port
  }

  async stop (): Promise<void> {
    const s = this.server
    this.server = undefined
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  /** The first message to this address (waiting for it up to timeoutMs). */
  async waitFor (to: string, count = 1, timeoutMs = 60_000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.messages.filter((m) => addresses(m).includes(to.toLowerCase()))
      if (found.length >= count) return found[count - 1]!
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no mail #${count} to ${to} within ${timeoutMs} ms; received: ${JSON.stringify(this.messages.map((m) => ({ to: addresses(m), subject: m.subject })))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250))
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }
}

export function addresses (m: ParsedMail): string[] {
  const to = Array.isArray(m.to) ? m.to : m.to === undefined ? [] : [m.to]
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()))
}

export function linkIn (m: ParsedMail, pattern: RegExp): string {
  const found = (m.text ?? '').match(pattern)
  if (found === null) throw new Error(`no link matching ${pattern} in: ${m.text}`)
  return found[0]
}
