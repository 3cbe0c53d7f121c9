import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'
import { nodeCommand } from './helpers/child-env.ts'

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'cp-config-'))

t.test('defaults as SPEC §7 gives them', async (t) => {
  const dir = dataDir()
  const c = loadConfig({ DATA_DIR: dir })
  t.equal(c.port, 3000)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.publicUrl.href, 'http://localhost:3000/')
  t.equal(c.basePath, '/')
  t.equal(c.databaseUrl, undefined)
  t.equal(c.smtpUrl, undefined)
  t.equal(c.sessionIdleMinutes, 30)
  t.equal(c.sessionAbsoluteHours, 12)
  t.same(c.frameAncestors, ["'none'"])
  t.equal(c.trustProxy, false)
  t.ok(Object.isFrozen(c))
})

t.test('the Telegram settings: the secret as Telegram takes it, the bot username with or without @', async (t) => {
  const c = loadConfig({ DATA_DIR: dataDir(), TELEGRAM_BOT_TOKEN: '123:abc', TELEGRAM_BOT_USERNAME: '@panel_bot', TELEGRAM_WEBHOOK_SECRET: 'A-z_09'.repeat(42) + 'abcd' })
  t.equal(c.telegramBotUsername, 'panel_bot')
  t.equal(c.telegramWebhookSecret?.length, 256)
  t.equal(c.telegramApiUrl, 'https://api.telegram.org')
  t.equal(loadConfig({ DATA_DIR: dataDir() }).telegramWebhookSecret, undefined, 'unset: the webhook is off')
})

t.test('the session secret is generated once and reused', async (t) => {
  const dir = dataDir()
  const a = loadConfig({ DATA_DIR: dir })
  const b = loadConfig({ DATA_DIR: dir })
  t.equal(a.sessionSecret, b.sessionSecret)
  t.ok(a.sessionSecret.length >= 32)
  t.equal(readFileSync(path.join(dir, 'session-secret'), 'utf8').trim(), a.sessionSecret)
})

t.test('values are read and normalized', async (t) => {
  const c = loadConfig({
    DATA_DIR: dataDir(), PORT: '8080', BASE_PATH: '/panel', PUBLIC_URL: 'https://panel.example.com/panel/',
    TRUST_PROXY: '10.0.0.1, 10.1.0.0/16', FRAME_ANCESTORS: 'https://billing.example.com', SMTP_URL: 'smtp://mail:25'
  })
  t.equal(c.port, 8080)
  t.equal(c.basePath, '/panel/')
  t.equal(c.linkBase, 'https://panel.example.com/panel/')
  t.equal(loadConfig({ DATA_DIR: dataDir(), BASE_PATH: '/cp' }).linkBase, 'http://localhost:3000/cp/', 'PUBLIC_URL without a path gets BASE_PATH')
  t.equal(loadConfig({ DATA_DIR: dataDir(), BASE_PATH: '/cp', PUBLIC_URL: 'https://x.example/client' }).linkBase, 'https://x.example/client/', 'a path in PUBLIC_URL is the public root')
  t.same(c.trustProxy, ['10.0.0.1', '10.1.0.0/16'])
  t.same(c.frameAncestors, ['https://billing.example.com'])
})

const bad: Array<[string, string]> = [
  ['PORT', 'eighty'], ['PORT', '70000'], ['PUBLIC_URL', 'not a url'], ['PUBLIC_URL', 'ftp://x.example'],
  ['BASE_PATH', 'panel'], ['BASE_PATH', '/a/../b'], ['DATABASE_URL', 'mysql://x/y'], ['SMTP_URL', 'http://mail'],
  ['SMS_WEBHOOK_URL', 'gateway'], ['SESSION_SECRET', 'short'], ['TRUST_PROXY', 'yes please'], ['FRAME_ANCESTORS', 'javascript:x'],
  ['PERMISSIONS_FILE', '/nonexistent/permissions.json'], ['AUTH_PROVIDERS_FILE', '/nonexistent/providers.json'],
  ['PROVIDER_API_TOKEN', 'short'], ['MAIL_FROM', 'a@b.c\r\nBcc: x@y.z'], ['SESSION_IDLE_MINUTES', '0'], ['LOG_LEVEL', 'loud'],
  ['TELEGRAM_WEBHOOK_SECRET', 'has spaces in it'], ['TELEGRAM_WEBHOOK_SECRET', 'x'.repeat(257)], ['TELEGRAM_WEBHOOK_SECRET', 'sécret'],
  ['TELEGRAM_BOT_USERNAME', 'no'], ['TELEGRAM_API_URL', 'api.telegram.org']
]
for (const [name, value] of bad) {
  t.test(`a wrong ${name} is refused with its name`, async (t) => {
    let caught: unknown
    try {
      loadConfig({ DATA_DIR: dataDir(), [name]: value })
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof ConfigError, 'a ConfigError')
    t.equal((caught as ConfigError).variable, name)
    t.match((caught as ConfigError).message, new RegExp(`^${name}: `))
  })
}

t.test('the service stops with a message naming the variable', async (t) => {
  const env = { ...process.env, DATA_DIR: dataDir(), PORT: 'eighty', DATABASE_URL: '' }
  const res = spawnSync(...nodeCommand(['--import', 'tsx', 'src/server.ts'], env), {
    env,
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(res.status, 1)
  t.match(res.stderr, 'Configuration error: PORT: must be a whole number')
})

t.test('PERMISSIONS_FILE replaces the catalog; a bad one stops the service with what is wrong', async (t) => {
  const { writeFileSync } = await import('node:fs')
  const dir = dataDir()
  const file = path.join(dir, 'permissions.json')
  const sections = [
    { key: 'users', label: { en: 'Users' }, actions: [{ key: 'view', label: { en: 'View' } }, { key: 'manage', label: { en: 'Manage' } }] },
    { key: 'activity', label: { en: 'Activity' }, actions: [{ key: 'view', label: { en: 'View' } }] },
    { key: 'vps', label: { en: 'VPS', ru: 'VPS' }, actions: [{ key: 'reboot', label: { en: 'Reboot', ru: 'Перезагрузка' } }] }
  ]
  writeFileSync(file, JSON.stringify({ sections }))
  const c = loadConfig({ DATA_DIR: dir, PERMISSIONS_FILE: file })
  t.same([...c.permissionCatalog.keys], ['users.view', 'users.manage', 'activity.view', 'vps.reboot'])
  t.ok(loadConfig({ DATA_DIR: dir }).permissionCatalog.keys.has('finance.pay'), 'the default catalog')

  const bad: Array<[string, RegExp]> = [
    ['{not json', /not valid JSON/],
    ['{"sections": []}', /non-empty "sections" array/],
    [JSON.stringify({ sections: [{ key: 'Bad Key', label: { en: 'x' }, actions: [{ key: 'view', label: { en: 'View' } }] }] }), /sections\[0\]: "key" must be/],
    [JSON.stringify({ sections: [...sections, sections[2]] }), /listed twice/],
    [JSON.stringify({ sections: [{ ...sections[0], label: { ru: 'Пользователи' } }, sections[1]] }), /needs at least "en"/],
    [JSON.stringify({ sections: [sections[2]] }), /must keep the permissions this module checks: users.view, users.manage, activity.view/]
  ]
  for (const [content, message] of bad) {
    writeFileSync(file, content)
    let caught: unknown
    try { loadConfig({ DATA_DIR: dir, PERMISSIONS_FILE: file }) } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, content.slice(0, 30))
    t.equal((caught as ConfigError).variable, 'PERMISSIONS_FILE')
    t.match((caught as ConfigError).message, message)
  }
})

t.test('AUTH_PROVIDERS_FILE lists the external services; a bad one stops the service with what is wrong', async (t) => {
  const { writeFileSync } = await import('node:fs')
  const dir = dataDir()
  const file = path.join(dir, 'providers.json')
  const keycloak = { id: 'keycloak', name: 'Keycloak', issuer: 'https://id.example.com/realms/main', clientId: 'panel', clientSecret: 's3cret', scopes: ['openid', 'email'] }
  const github = { id: 'github', name: 'GitHub', authorizationUrl: 'https://github.com/login/oauth/authorize', tokenUrl: 'https://github.com/login/oauth/access_token', userinfoUrl: 'https://api.github.com/user', subjectField: 'id', clientId: 'gh', clientSecret: 'gh-secret' }
  const local = { ...keycloak, id: 'local', issuer: 'http://127.0.0.1:8080/realms/dev' }
  writeFileSync(file, JSON.stringify([keycloak, github, local]))
  const c = loadConfig({ DATA_DIR: dir, AUTH_PROVIDERS_FILE: file })
  t.same(c.authServices.map((s) => [s.id, s.kind]), [['keycloak', 'oidc'], ['github', 'oauth2'], ['local', 'oidc']], 'OpenID Connect, plain OAuth 2.0, and http on loopback')
  t.same(c.authServices[1]!.scopes, [], 'no scopes unless given')
  t.same(loadConfig({ DATA_DIR: dir }).authServices, [], 'none when unset')

  const bad: Array<[unknown, RegExp]> = [
    ['{not json', /not valid JSON/],
    [{ services: [] }, /must be a JSON array/],
    [[{ ...keycloak, clientSecrte: 'typo' }], /unknown key "clientSecrte"/],
    [[{ ...keycloak, tokenUrl: 'https://id.example.com/token' }], /unknown key "tokenUrl"/],
    [[keycloak, { ...github, id: 'keycloak' }], /the id "keycloak" is listed twice/],
    [[{ ...keycloak, id: 'Key Cloak' }], /"id" must be 1 to 32 lowercase letters/],
    [[{ ...keycloak, id: '../x' }], /"id" must be/],
    [[{ ...keycloak, clientSecret: undefined }], /"clientSecret" is missing/],
    [[{ ...github, clientSecret: '' }], /"clientSecret" is missing/],
    [[{ ...keycloak, issuer: 'http://id.example.com' }], /"issuer" must use https \(plain http only on a loopback address/],
    [[{ ...github, tokenUrl: 'http://10.0.0.5/token' }], /"tokenUrl" must use https/],
    [[{ ...keycloak, issuer: 'https://user:pw@id.example.com' }], /must not carry credentials/],
    [[{ ...keycloak, scopes: ['email'] }], /must include "openid"/],
    [[{ ...github, subjectField: undefined }], /"subjectField" is missing/],
    [[{ ...keycloak, name: '' }], /"name" must be a non-empty string/]
  ]
  for (const [content, message] of bad) {
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
    let caught: unknown
    try { loadConfig({ DATA_DIR: dir, AUTH_PROVIDERS_FILE: file }) } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, String(message))
    t.equal((caught as ConfigError).variable, 'AUTH_PROVIDERS_FILE')
    t.match((caught as ConfigError).message, message)
  }
})
