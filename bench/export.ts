// npm run bench -- --export (or tsx bench/export.ts): the personal-data
// export (SPEC §4.3) of one user with 100 000 activity rows, on DATABASE_URL.
// This process seeds a user of its own (SQL's generate_series, so the rows
// never pass through Node) and runs a loopback SMTP sink that counts what it
// receives; a child process (bench/export-run.ts) runs the export job's build
// and send once, and reports its wall time and its RSS before and at the
// peak (sampled every 50 ms, and the kernel's maxRSS). Aim: under 10 s, RSS
// growing by less than 50 MB. The seeded account is removed afterwards.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { sql } from 'kysely'
import { createKysely } from '../src/db/database.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { countingSmtpSink } from './smtp-sink.ts'

const ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 100_000)
const url = process.env.DATABASE_URL
if (url === undefined || url === '') {
  console.error('bench --export needs DATABASE_URL: a PostgreSQL database it may add one account with 100 000 audit rows to (removed afterwards).')
  process.exit(2)
}

interface Report { ms: number, rows: number, rssBefore: number, rssPeak: number, maxRss: number, maxRssBefore: number }

const { db } = createKysely(url, 2)
await migrateToLatest(db)

// The sink: reads each message to its end, keeps nothing but the counts.
const smtp = await countingSmtpSink()

const stamp = Date.now()
const account = await db.insertInto('accounts').defaultValues().returning('id').executeTakeFirstOrThrow()
try {
  const user = await db.insertInto('users').values({ account_id: account.id, email: `bench-export-${stamp}@example.com`, full_name: 'Bench Exporter', password_hash: null })
    .returning('id').executeTakeFirstOrThrow()
  const seedStart = performance.now()
  await sql`
    insert into audit_log (account_id, actor_user_id, target_user_id, action, ip, details, created_at)
    select ${account.id}, ${user.id}, ${user.id}, 'login.success', '198.51.100.' || (n % 250), jsonb_build_object('method', 'password', 'n', n),
           now() - make_interval(secs => n * 60)
    from generate_series(1, ${ROWS}::int) as n`.execute(db)
  await sql`analyze audit_log`.execute(db)
  const exportRow = await db.insertInto('data_exports').values({ user_id: user.id, requested_at: new Date() }).returning('id').executeTakeFirstOrThrow()
  console.log(`Seeded ${ROWS} activity rows for one user in ${((performance.now() - seedStart) / 1000).toFixed(1)} s.`)

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./export-run.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_EXPORT_ID: exportRow.id, SMTP_URL: smtp.url }
  })
  const report = await new Promise<Report>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as Report))
    child.once('exit', (code) => reject(new Error(`bench/export-run.ts exited with ${code}`)))
  })
  const status = await db.selectFrom('data_exports').select(['status', 'last_error']).where('id', '=', exportRow.id).executeTakeFirstOrThrow()
  const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
  console.log(`Export of ${report.rows} rows: ${(report.ms / 1000).toFixed(2)} s (aim < 10 s); status ${status.status}${status.last_error === null ? '' : ` (${status.last_error})`}; ${smtp.messages()} mail, ${mb(smtp.bytes())} MB received by the SMTP sink.`)
  console.log(`RSS before ${mb(report.rssBefore)} MB, peak during ${mb(report.rssPeak)} MB: +${mb(report.rssPeak - report.rssBefore)} MB (aim < 50 MB); kernel maxRSS ${mb(report.maxRssBefore)} → ${mb(report.maxRss)} MB.`)
  if (status.status !== 'sent') process.exitCode = 1
} finally {
  // The account's rows go with it (users, audit_log and data_exports reference it or its users).
  await db.deleteFrom('audit_log').where('account_id', '=', account.id).execute()
  await db.deleteFrom('data_exports').where('user_id', 'in', db.selectFrom('users').select('id').where('account_id', '=', account.id)).execute()
  await db.deleteFrom('users').where('account_id', '=', account.id).execute()
  await db.deleteFrom('accounts').where('id', '=', account.id).execute()
  await db.destroy()
  await smtp.close()
}
