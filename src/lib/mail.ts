// Outgoing mail: nodemailer over SMTP_URL, or .eml files in
// DATA_DIR/outbox/mail/ when it is unset. Callers go through the deliveries
// (src/lib/deliveries/), which retry a failed send later.
// nodemailer never reads a file or fetches a URL for a message
// (disableFileAccess, disableUrlAccess): attachments are given inline, or as
// a stream the caller opened (a large file: the personal-data export), which
// is read while the message goes out.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import type { Config } from '../config.ts'

export interface MailAttachment {
  filename: string
  contentType: string
  /** The content as text, or base64 with encoding 'base64' (so that a message stays JSON). */
  content: string
  encoding?: 'base64'
}

/**
 * An attachment read from a stream while the message is sent, never held
 * whole in memory (over SMTP; the .eml outbox buffers the message). Not for
 * deliveries: their messages rest sealed as JSON, so MailMessage's default
 * attachments are text.
 */
export interface StreamedAttachment {
  filename: string
  contentType: string
  stream: Readable
}

export interface MailMessage<A = MailAttachment> {
  to: string
  subject: string
  text: string
  html?: string
  /** Extra headers (Auto-Submitted, List-Unsubscribe, …); never the addressing ones. */
  headers?: Record<string, string>
  attachments?: A[]
  /** The sender's name in the recipient's language, when MAIL_FROM gives only an address. */
  fromName?: string
}

/** Any message, with text or streamed attachments. */
export type OutgoingMail = MailMessage<MailAttachment | StreamedAttachment>

export type SendMail = (message: OutgoingMail) => Promise<void>

// Headers a message may not set: addressing and structure belong to nodemailer.
const RESERVED = /^(from|to|cc|bcc|reply-to|sender|subject|date|message-id|mime-version|content-.*|return-path|received)$/i

/** The message's extra headers, checked: a name is a token, no value holds a line break. */
export function checkHeaders (headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (headers === undefined) return undefined
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || RESERVED.test(name)) throw new Error(`mail header "${name}" may not be set`)
    if (/[\r\n\0]/.test(value)) throw new Error(`mail header "${name}" holds a line break`)
  }
  return headers
}

function attachment (a: MailAttachment | StreamedAttachment): NonNullable<SendMailOptions['attachments']>[number] {
  if ('stream' in a) return { filename: a.filename, contentType: a.contentType, content: a.stream }
  return { filename: a.filename, contentType: a.contentType, content: a.content, encoding: a.encoding }
}

function envelope (from: string | { name: string, address: string }, m: OutgoingMail): SendMailOptions {
  return {
    from: typeof from === 'string' || m.fromName === undefined ? from : { name: m.fromName, address: from.address },
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    headers: checkHeaders(m.headers),
    attachments: m.attachments?.map(attachment),
    disableFileAccess: true,
    disableUrlAccess: true
  }
}

export function createMailSender (config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir' | 'appName'>): SendMail {
  const from = config.mailFrom.includes('<') ? config.mailFrom : { name: config.appName, address: config.mailFrom }
  if (config.smtpUrl !== undefined) {
    const transport = nodemailer.createTransport(config.smtpUrl)
    return async (m) => {
      await transport.sendMail(envelope(from, m))
    }
  }
  const outbox = path.join(config.dataDir, 'outbox', 'mail')
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return async (m) => {
    const info = await transport.sendMail(envelope(from, m))
    mkdirSync(outbox, { recursive: true })
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}.eml`
    writeFileSync(path.join(outbox, name), info.message as Buffer, { mode: 0o600 })
  }
}
