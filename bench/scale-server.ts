// The server side of the scale benchmark (bench/scale.ts), in a process of its
// own so that the load generator does not share its CPU time:
//   tsx bench/scale-server.ts app        the real app on DATABASE_URL
//   tsx bench/scale-server.ts ref <id>   the one-query reference: bare Fastify
//     and raw pg, one primary-key select of user <id> rendered with the
//     Profile template (the yardstick of npm run bench)
// Prints {"port": …} as one JSON line, then serves until SIGTERM.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Fastify from 'fastify'
import pg from 'pg'
import { buildApp, serviceLogger } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { profileViewModel } from '../src/features/profile/view.ts'
import { timeZoneCaption } from '../src/lib/format.ts'
import { appNameIn, languageChoices, translator } from '../src/lib/i18n.ts'
import { initialsOf } from '../src/lib/initials.ts'
import { createEta } from '../src/plugins/view.ts'

const [mode, userId] = process.argv.slice(2)
const config = loadConfig({ ...process.env, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'cp-scale-')), LOG_LEVEL: 'silent', PORT: '0' })
let close: () => Promise<void>
let port: number

if (mode === 'app') {
  // Logging as a user runs it (serviceLogger), to /dev/null.
  const app = await buildApp(config, { logger: serviceLogger({ logLevel: 'info' }, '/dev/null') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as { port: number }).port
  close = async () => { await app.close() }
} else if (mode === 'ref' && userId !== undefined && /^\d+$/.test(userId)) {
  // The same pool size as the app's (src/db/database.ts).
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 })
  const eta = createEta('en')
  const t = translator('en')
  const ref = Fastify({ logger: false })
  ref.get('/ref/profile', async (_request, reply) => {
    const { rows } = await pool.query('select email, full_name, is_owner, time_zone, last_login_at, phone, phone_verified from users where id = $1', [userId])
    const u = rows[0]
    const user = { email: u.email, fullName: u.full_name, isOwner: u.is_owner, timeZone: u.time_zone, lastLoginAt: u.last_login_at, phone: u.phone, phoneVerified: u.phone_verified, twoFactor: false }
    const html = eta.render('profile/show', {
      t, lang: 'en', languages: languageChoices, appName: appNameIn(config, 'en'), base: '/', currentPath: '/client/profile', flash: undefined,
      currentUser: { fullName: u.full_name, email: u.email, restricted: false, policyUpdated: false, avatar: { file: null, initials: initialsOf(u.full_name, u.email), size: 'small' } },
      zoneCaption: timeZoneCaption('en', u.time_zone),
      nav: [{ menu: 'client', label: 'nav.profile', path: 'client/profile', current: true }],
      csrf: () => 'x'.repeat(52),
      ...profileViewModel(user, t, 'en', {}, false)
    })
    return reply.type('text/html; charset=utf-8').send(html)
  })
  await ref.listen({ port: 0, host: '127.0.0.1' })
  port = (ref.server.address() as { port: number }).port
  close = async () => { await ref.close(); await pool.end() }
} else {
  console.error('usage: tsx bench/scale-server.ts app | ref <user id>')
  process.exit(2)
}

process.stdout.write(JSON.stringify({ port }) + '\n')
const stop = async (): Promise<void> => {
  await close()
  process.exit(0)
}
process.on('SIGTERM', () => { void stop() })
process.on('SIGINT', () => { void stop() })
