// npm run bench -- --queue (or tsx bench/queue.ts): how fast the service's
// own workers mail a burst of notices. BENCH_QUEUE_NOTICES (1 000) notices
// are queued one after another through sendNotification (what the provider
// API's and the CLI's notify run: a delivery row and its job, in one
// transaction each), while the app's workers in this process send them to a
// loopback SMTP sink (smtp-server) that counts what arrives, over pooled
// connections (SMTP_URL's ?pool=true: smtp-server waits 100 ms before its
// greeting on every new connection, which would be all this measured).
// Reports how long the queueing took, and when the last mail arrived: the
// rate the queue drains at. On DATABASE_URL, or the embedded PostgreSQL when
// unset.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp, serviceLogger } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { sendNotification } from '../src/features/notifications/service.ts'
import { createAccount } from '../src/features/provider/index.ts'
import { countingSmtpSink } from './smtp-sink.ts'

const N = Number(process.env.BENCH_QUEUE_NOTICES ?? 1000)

const smtp = await countingSmtpSink()

const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-bench-queue-'))
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, PORT: '0', SMTP_URL: `${smtp.url}/?pool=true` })
const app = await buildApp(config, { logger: serviceLogger(config, '/dev/null') })
try {
  const owner = await createAccount(app.deps, { email: `bench-queue-${Date.now()}@example.com`, name: 'Queue Owner', password: 'benchmark passphrase' })
  if (!owner.ok) throw new Error(owner.reason)
  // Mails the account's creation queued (none today) are not counted.
  const before = smtp.messages()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    const r = await sendNotification(app.deps, owner.userId, 'security', `Notice ${i}`, 'A notice of the queue bench.')
    if (!r.ok) throw new Error(`notice ${i}: ${JSON.stringify(r)}`)
  }
  const queuedMs = performance.now() - t0
  const deadline = Date.now() + 600_000
  while (smtp.messages() - before < N && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  const doneMs = performance.now() - t0
  const got = smtp.messages() - before
  console.log(`${N} notices queued in ${(queuedMs / 1000).toFixed(1)} s (${(N / queuedMs * 1000).toFixed(0)} a second); ${got} mails received, the last ${((doneMs - queuedMs) / 1000).toFixed(1)} s after the last was queued (${(got / doneMs * 1000).toFixed(0)} a second overall).`)
  if (got < N) process.exitCode = 1
} finally {
  await app.close()
  await smtp.close()
  rmSync(dataDir, { recursive: true, force: true })
}
