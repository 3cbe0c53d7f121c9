// Outgoing mail: nodemailer over SMTP_URL, or .eml files in
// DATA_DIR/outbox/mail/ when it is unset. Callers go through the job queue.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import nodemailer from 'nodemailer'
import type { Config } from '../config.ts'

export interface MailMessage {
  to: string
  subject: string
  text: string
}

declare module './jobs.ts' {
  interface QueueMap { mail: MailMessage }
}

export type SendMail = (message: MailMessage) => Promise<void>

export function createMailSender (config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir' | 'appName'>): SendMail {
  const from = config.mailFrom.includes('<') ? config.mailFrom : { name: config.appName, address: config.mailFrom }
  if (config.smtpUrl !== undefined) {
    const transport = nodemailer.createTransport(config.smtpUrl)
    return async (m) => {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, disableFileAccess: true, disableUrlAccess: true })
    }
  }
  const outbox = path.join(config.dataDir, 'outbox', 'mail')
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return async (m) => {
    const info = await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, disableFileAccess: true, disableUrlAccess: true })
    mkdirSync(outbox, { recursive: true })
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}.eml`
    writeFileSync(path.join(outbox, name), info.message as Buffer, { mode: 0o600 })
  }
}
