// Exports of personal data (SPEC §4.3). Guarantees:
// - at most one export per user in any 24 hours: the request locks the
//   user's row, so parallel requests are decided one after the other and
//   exactly one wins; one given up (status failed) does not count;
// - the row and its job are written in one transaction: no row without a
//   job, no job without a row; the job carries only the row's id, never
//   the address or the data;
// - the job builds the CSV from every feature's sections (build.ts) into a
//   temporary file of its own (0600, removed after every try), and mails
//   it as a streamed attachment to the user's address as it is when the
//   mail goes, in their language; an SMTP failure fails the try, which
//   pg-boss repeats with backoff (EXPORT_RETRY), the row keeping the error;
// - requests and sending are in the activity log, never what was sent.
import { mkdtemp, rm } from 'node:fs/promises'
import { createReadStream, type ReadStream } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Config } from '../../../config.ts'
import type { CurrentUser } from '../../../lib/current-user.ts'
import { neutraliseUserText } from '../../../lib/deliveries/index.ts'
import { recordEvent } from '../../../lib/events.ts'
import { formatDateTime } from '../../../lib/format.ts'
import { appNameIn, isLanguage, translator } from '../../../lib/i18n.ts'
import type { OutgoingMail } from '../../../lib/mail.ts'
import type { ExportSection } from '../../../lib/personal-data.ts'
import type { Deps } from '../../../types.ts'
import { buildExportFile } from './build.ts'
import { findLatestCounted, findPendingExport, insertExport, lockUser, markFailedTry, markSent } from './queries.ts'

export const EXPORT_QUEUE = 'personal-data-export'
export const EXPORT_INTERVAL_SECONDS = 24 * 60 * 60

export interface ExportJob { exportId: string }

declare module '../../../lib/jobs.ts' {
  interface QueueMap { 'personal-data-export': ExportJob }
}

/** How a failed try is repeated: the delivery settings' first delay and limit, doubling. */
export function exportRetry (config: Pick<Config, 'deliveryRetryDelaySeconds' | 'deliveryRetryLimit'>) {
  return { limit: config.deliveryRetryLimit, delaySeconds: config.deliveryRetryDelaySeconds, backoff: true }
}

/** When the user may request the next export; undefined when they may now. */
export async function nextExportAt (deps: Pick<Deps, 'db' | 'clock'>, userId: string): Promise<Date | undefined> {
  const since = new Date(deps.clock.now().getTime() - EXPORT_INTERVAL_SECONDS * 1000)
  const latest = await findLatestCounted(deps.db, userId, since)
  return latest === undefined ? undefined : new Date(latest.requested_at.getTime() + EXPORT_INTERVAL_SECONDS * 1000)
}

export type RequestResult = { ok: true } | { ok: false, nextAt: Date }

/** Queues an export of the user's personal data, unless one was requested in the last 24 hours. */
export async function requestExport (deps: Pick<Deps, 'db' | 'clock' | 'jobs'>, user: CurrentUser, ip: string): Promise<RequestResult> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, user.id)
    const latest = await findLatestCounted(trx, user.id, new Date(now.getTime() - EXPORT_INTERVAL_SECONDS * 1000))
    if (latest !== undefined) return { ok: false, nextAt: new Date(latest.requested_at.getTime() + EXPORT_INTERVAL_SECONDS * 1000) }
    const exportId = await insertExport(trx, user.id, now)
    await deps.jobs.send(EXPORT_QUEUE, { exportId }, trx)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'personal_data.export_requested', ip, at: now })
    return { ok: true }
  })
}

interface Recipient { email: string, full_name: string, language: string, time_zone: string, requested_at: Date }

/** The export's mail in the user's language, the file attached as a stream. */
export function exportMail (config: Pick<Config, 'appName' | 'appNameSet'>, to: Recipient, file: ReadStream, fileName: string): OutgoingMail {
  const lang = isLanguage(to.language) ? to.language : 'en'
  const t = translator(lang)
  const app = appNameIn(config, lang)
  const vars = { name: neutraliseUserText(to.full_name), app, time: formatDateTime(to.requested_at, lang, to.time_zone), zone: to.time_zone }
  return {
    to: to.email,
    subject: t('mail.personalDataExport.subject', vars),
    text: t('mail.personalDataExport.body', vars),
    // RFC 3834: no auto-reply to it.
    headers: { 'Auto-Submitted': 'auto-generated' },
    fromName: app,
    attachments: [{ filename: fileName, contentType: 'text/csv; charset=utf-8', stream: file }]
  }
}

export interface BuildAndSend {
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'sendMail'>
  sections: () => readonly ExportSection[]
}

/**
 * The job: builds the export's CSV and mails it. A row already sent or
 * given up is left alone (a repeated job); a user no longer active gets
 * nothing and the export is given up.
 */
export async function sendExport ({ deps, sections }: BuildAndSend, job: ExportJob, retryCount: number): Promise<void> {
  const row = await findPendingExport(deps.db, job.exportId)
  if (row === undefined) return
  if (row.user_status !== 'active') {
    await markFailedTry(deps.db, row.id, 'the user is disabled', true)
    return
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'personal-data-'))
  let stream: ReadStream | undefined
  try {
    const file = path.join(dir, 'export.csv')
    await buildExportFile(deps.db, { id: row.user_id, accountId: row.account_id }, sections(), file)
    const day = row.requested_at.toISOString().slice(0, 10)
    stream = createReadStream(file)
    await deps.sendMail(exportMail(deps.config, row, stream, `personal-data-${day}.csv`))
    const now = deps.clock.now()
    await deps.db.transaction().execute(async (trx) => {
      if (!await markSent(trx, row.id, now)) return
      await recordEvent(trx, { accountId: row.account_id, actorUserId: null, targetUserId: row.user_id, type: 'personal_data.exported', ip: null, at: now })
    })
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    await markFailedTry(deps.db, row.id, message.slice(0, 500), retryCount >= exportRetry(deps.config).limit)
    throw err
  } finally {
    stream?.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
