// The measured side of bench/export.ts, in a process of its own so that the
// seeding and the SMTP sink do not count: runs the export job's build and
// send (the same sendExport the queue runs) for BENCH_EXPORT_ID once, to
// SMTP_URL, sampling its RSS every 50 ms. Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadConfig } from '../src/config.ts'
import { createKysely } from '../src/db/database.ts'
import { personalData } from '../src/features/index.ts'
import { sendExport } from '../src/features/privacy/exports/service.ts'
import { systemClock } from '../src/lib/clock.ts'
import { createMailSender } from '../src/lib/mail.ts'

const exportId = process.env.BENCH_EXPORT_ID ?? ''
const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-bench-export-'))
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, SESSION_SECRET: 'bench-session-secret-of-at-least-32-chars', LOG_LEVEL: 'silent' })
const { db } = createKysely(config.databaseUrl!, 2)
const deps = { db, clock: systemClock, config, sendMail: createMailSender(config) }
const sections = () => personalData().flatMap((p) => p.export ?? [])
const rows = Number((await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n'))
  .where('actor_user_id', '=', (await db.selectFrom('data_exports').select('user_id').where('id', '=', exportId).executeTakeFirstOrThrow()).user_id)
  .executeTakeFirstOrThrow()).n)

const rssBefore = process.memoryUsage().rss
const maxRssBefore = process.resourceUsage().maxRSS * 1024
let rssPeak = rssBefore
const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 50)
const start = performance.now()
await sendExport({ deps, sections }, { exportId }, 0)
const ms = performance.now() - start
clearInterval(sampler)
rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
const maxRss = process.resourceUsage().maxRSS * 1024

process.stdout.write(JSON.stringify({ ms, rows, rssBefore, rssPeak, maxRss, maxRssBefore }) + '\n')
await db.destroy()
rmSync(dataDir, { recursive: true, force: true })
