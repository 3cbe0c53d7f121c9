// policy:publish (SPEC §6, issue 13): the CLI over publishPolicy. Every
// refusal names its flag and changes nothing; versions only grow, and
// publishes raced for one version make one row.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { type CliResult, runCli } from '../helpers/cli.ts'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, config } = ta
const db = app.deps.db
const env = { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl ?? '' }
const dir = mkdtempSync(path.join(tmpdir(), 'policy-'))
const file = (name: string, text: string): string => {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}
const en = file('en.txt', 'The policy.\n\nSecond paragraph.')
const ru = file('ru.txt', 'Политика.\n\nВторой абзац.')

async function cli (...args: string[]): Promise<CliResult> {
  return await runCli(env, ['policy:publish', ...args])
}
const versions = async () => await db.selectFrom('policy_versions').selectAll().orderBy('document').orderBy('version').execute()

t.test('publishes a version with texts from files, or with a URL, and prints it', async (t) => {
  const res = await cli('--document', 'privacy-policy', '--version', '1', '--effective-at', '2026-12-01T00:00:00Z', '--text-en-file', en, '--text-ru-file', ru,
    '--changes-en', 'First version.', '--changes-ru', 'Первая версия.')
  t.equal(res.status, 0, res.stderr)
  t.same(JSON.parse(res.stdout), { document: 'privacy-policy', version: 1, effectiveAt: '2026-12-01T00:00:00.000Z', required: true })
  const url = await cli('--document', 'sms-news', '--version', '3', '--effective-at', '2026-12-01T03:00:00+03:00', '--url', 'https://example.com/sms')
  t.equal(url.status, 0, url.stderr)
  t.same(JSON.parse(url.stdout), { document: 'sms-news', version: 3, effectiveAt: '2026-12-01T00:00:00.000Z', required: false })
  t.match(await versions(), [
    { document: 'privacy-policy', version: 1, required: true, url: null, text_en: 'The policy.\n\nSecond paragraph.', text_ru: 'Политика.\n\nВторой абзац.', changes_en: 'First version.', changes_ru: 'Первая версия.' },
    { document: 'sms-news', version: 3, required: false, url: 'https://example.com/sms', text_en: null, text_ru: null, changes_en: null }
  ])
})

t.test('bad input: exit 1 (2 for arguments), a message naming the flag, nothing published', async (t) => {
  const before = await versions()
  const at = ['--effective-at', '2027-01-01T00:00:00Z']
  const texts = ['--text-en-file', en, '--text-ru-file', ru]
  const cases: Array<[string[], number, RegExp]> = [
    [['--version', '2', ...at, ...texts], 2, /--document is required/],
    [['--document', 'cookie-policy', '--version', '2', ...at, ...texts], 1, /--document: "cookie-policy" is not a document; use one of privacy-policy, user-agreement, sms-news, email-news/],
    [['--document', 'privacy-policy', '--version', '0', ...at, ...texts], 1, /--version: "0" is not a whole number above 0/],
    [['--document', 'privacy-policy', '--version', '-2', ...at, ...texts], 2, /--version/],
    [['--document', 'privacy-policy', '--version', '2.5', ...at, ...texts], 1, /--version: "2.5" is not a whole number/],
    [['--document', 'privacy-policy', '--version', 'two', ...at, ...texts], 1, /--version: "two"/],
    [['--document', 'privacy-policy', '--version', '1', ...at, ...texts], 1, /--version: 1 is not higher than 1, the highest published version of privacy-policy/],
    [['--document', 'sms-news', '--version', '2', ...at, '--url', 'https://example.com/x'], 1, /--version: 2 is not higher than 3/],
    [['--document', 'privacy-policy', '--version', '2', '--effective-at', 'tomorrow', ...texts], 1, /--effective-at: "tomorrow" is not a date and time/],
    [['--document', 'privacy-policy', '--version', '2', '--effective-at', '2027-02-30T00:00:00Z', ...texts], 1, /--effective-at/],
    [['--document', 'privacy-policy', '--version', '2', '--effective-at', '2027-01-01T00:00:00', ...texts], 1, /--effective-at: .* with its zone/],
    [['--document', 'privacy-policy', '--version', '2', '--effective-at', '2027-01-01', ...texts], 1, /--effective-at/],
    [['--document', 'privacy-policy', '--version', '2', ...at], 1, /--url or --text-en-file and --text-ru-file is required/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--url', 'https://example.com/p', ...texts], 1, /--url and --text-en-file\/--text-ru-file cannot be used together/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--url', 'javascript:alert(1)'], 1, /--url: "javascript:alert\(1\)" is not an http or https address/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--url', 'ftp://example.com/p'], 1, /--url: .* is not an http or https address/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--text-en-file', en], 1, /--text-ru-file is required with --text-en-file/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--text-en-file', path.join(dir, 'missing.txt'), '--text-ru-file', ru], 1, /--text-en-file: cannot read .*missing\.txt \(ENOENT\)/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--text-en-file', en, '--text-ru-file', dir], 1, /--text-ru-file: cannot read/],
    [['--document', 'privacy-policy', '--version', '2', ...at, '--text-en-file', file('empty.txt', '  \n'), '--text-ru-file', ru], 1, /--text-en-file: the text is empty/],
    [['--document', 'privacy-policy', '--version', '2', ...at, ...texts, '--changes-en', 'Only English.'], 1, /--changes-ru: give what changed in both languages/]
  ]
  for (const [args, code, message] of cases) {
    const res = await cli(...args)
    t.equal(res.status, code, args.join(' '))
    t.match(res.stderr, message, args.join(' '))
    t.equal(res.stdout, '')
  }
  t.same(await versions(), before, 'nothing published')
})

t.test('two CLI publishes of the same version race: one wins, the other is told', async (t) => {
  const args = ['--document', 'user-agreement', '--version', '1', '--effective-at', '2027-01-01T00:00:00Z', '--url', 'https://example.com/ua']
  const [a, b] = await Promise.all([cli(...args), cli(...args)])
  t.same([a.status, b.status].sort(), [0, 1], `${a.stderr}${b.stderr}`)
  t.match(a.status === 1 ? a.stderr : b.stderr, /--version: 1 is not higher than 1/)
  t.equal((await versions()).filter((v) => v.document === 'user-agreement').length, 1)
})

t.test('publishPolicy raced: one row per version number, and a refusal leaves nothing', async (t) => {
  const input = (version: number) => ({ document: 'email-news', version, effectiveAt: '2027-01-01T00:00:00Z', url: `https://example.com/e/${version}` })
  const same = await Promise.all(Array.from({ length: 8 }, async () => await publishPolicy(app.deps, input(1))))
  t.equal(same.filter((r) => r.ok).length, 1, 'exactly one wins')
  t.ok(same.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'version_not_higher'))
  const mixed = await Promise.all([2, 3, 4, 5, 6].map(async (v) => await publishPolicy(app.deps, input(v))))
  const published = (await versions()).filter((v) => v.document === 'email-news').map((v) => v.version)
  t.equal(mixed.filter((r) => r.ok).length, published.length - 1, 'every refusal left nothing behind')
})
