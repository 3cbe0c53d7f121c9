// A real SMTP server on loopback for the benches (bench/export.ts,
// bench/queue.ts): reads each message to its end and keeps only counts.
import { SMTPServer } from 'smtp-server'

export interface SmtpSink {
  /** smtp://127.0.0.1:<port> */
  url: string
  /** Messages received whole. */
  messages: () => number
  /** Bytes received, all messages. */
  bytes: () => number
  close: () => Promise<void>
}

export async function countingSmtpSink (): Promise<SmtpSink> {
  let messages = 0
  let bytes = 0
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 0,
    onData: (stream, _session, callback) => {
      stream.on('data', (chunk: Buffer) => { bytes += chunk.length })
      stream.on('end', () => { messages++; callback() })
    }
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()))
  const port = (smtp as unknown as { server: { address: () => { port: number } } }).server.address().port
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages: () => messages,
    bytes: () => bytes,
    close: async () => { await new Promise<void>((resolve) => smtp.close(() => resolve())) }
  }
}
