// WEBHOOK_URLS and WEBHOOK_SECRET are checked at start (src/config.ts): a
// bad receiver or secret stops the service with the variable's name.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'

const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-webhooks-config-'))
const secret = (bytes = 32): string => `whsec_${randomBytes(bytes).toString('base64')}`
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, ...env })
function refused (t: { ok: (value: unknown, message: string) => unknown }, env: Record<string, string>, variable: string, message: RegExp, what: string): void {
  let err: unknown
  try {
    load(env)
  } catch (e) {
    err = e
  }
  t.ok(err instanceof ConfigError && err.variable === variable && message.test(err.message), `${what}: ${String(err)}`)
}

t.test('unset: webhooks are off', async (t) => {
  const c = load({})
  t.same(c.webhookUrls, [])
  t.equal(c.webhookSecret, undefined)
})

t.test('receivers are normalised, each kept once, in order', async (t) => {
  const s = secret()
  const c = load({ WEBHOOK_URLS: ' https://billing.example.com/hooks , http://127.0.0.1:8080/in,https://billing.example.com/hooks,', WEBHOOK_SECRET: s })
  t.same(c.webhookUrls, ['https://billing.example.com/hooks', 'http://127.0.0.1:8080/in'])
  t.equal(c.webhookSecret, s)
  t.same(load({ WEBHOOK_URLS: 'https://b.example', WEBHOOK_SECRET: secret(24) }).webhookUrls, ['https://b.example/'], '24 bytes is enough')
  t.ok(load({ WEBHOOK_SECRET: secret(64) }).webhookSecret, 'a secret alone is allowed (no receivers yet); 64 bytes at most')
})

t.test('a bad receiver or secret stops the start', async (t) => {
  refused(t, { WEBHOOK_URLS: 'ftp://billing.example.com/', WEBHOOK_SECRET: secret() }, 'WEBHOOK_URLS', /http: or https:/, 'another scheme')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/,not a url', WEBHOOK_SECRET: secret() }, 'WEBHOOK_URLS', /"not a url" is not a valid URL/, 'not a URL')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/#frag', WEBHOOK_SECRET: secret() }, 'WEBHOOK_URLS', /fragment/, 'a fragment')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/' }, 'WEBHOOK_SECRET', /must be set when WEBHOOK_URLS is/, 'receivers without a secret')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/', WEBHOOK_SECRET: randomBytes(32).toString('base64') }, 'WEBHOOK_SECRET', /whsec_/, 'no whsec_ prefix')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/', WEBHOOK_SECRET: secret(16) }, 'WEBHOOK_SECRET', /24 to 64/, 'too short')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/', WEBHOOK_SECRET: secret(65) }, 'WEBHOOK_SECRET', /24 to 64/, 'too long')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/', WEBHOOK_SECRET: 'whsec_not*base64!but-long-enough-to-pass-a-length-check' }, 'WEBHOOK_SECRET', /base64/, 'not base64')
  refused(t, { WEBHOOK_URLS: 'https://ok.example/', WEBHOOK_SECRET: 'whsec_' }, 'WEBHOOK_SECRET', /base64/, 'empty')
})
