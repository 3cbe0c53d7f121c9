// Without SMTP_URL, mail is written as .eml files to DATA_DIR/outbox/mail/.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Agent, createOwner, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'

const ta = await startTestApp(t)
const owner = await createOwner(ta, 'outbox@example.com')

t.test('a reset mail lands in the outbox as an .eml file', async (t) => {
  const a = new Agent(ta.app)
  await a.get(`${ta.base}password/forgot`)
  await a.post(`${ta.base}password/forgot`, { email: owner.email })
  const dir = path.join(ta.config.dataDir, 'outbox', 'mail')
  const emls = (): string[] => { try { return readdirSync(dir).filter((f) => f.endsWith('.eml')) } catch { return [] } }
  const files = await eventually('an .eml file in the outbox', () => emls().length > 0 ? emls() : undefined, () => `${emls().length} files`)
  t.equal(files.length, 1)
  const eml = readFileSync(path.join(dir, files[0]!), 'utf8')
  t.match(eml, /^To: outbox@example\.com$/m)
  t.match(eml, /^Subject: Set a new password$/m)
  t.match(eml, /http:\/\/panel\.test\/password\/reset\/[A-Za-z0-9_-]{22}/)
})
