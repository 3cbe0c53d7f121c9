// The interface wholly in Russian (issue 12): the language switch before
// sign-in, and a walk of every page, form error, flash message, email and
// SMS of the product as a Russian user that fails on any English left.
//
// The pages come from app.routeTable (every GET page route, in every state a
// user can be in: signed out, at the second sign-in step, signed in with and
// without two-factor, a member without permissions), and the form errors
// from POSTing every page route's form empty and with bad values: a page or
// form another feature adds is walked without touching this file.
//
// What counts as English (see russianLeaks): a visible string (text, the
// page <title>, aria-label/title/alt/placeholder, the value of submit
// inputs) that holds a run of Latin-letter words other than
// - e-mail addresses, URLs and the app's name when the provider set one
//   (APP_NAME: a brand; the default name has a Russian form);
// - product words Russian interfaces write in Latin letters: acronyms (TOTP,
//   SMS, IP, CSV, QR, 2FA, UTC, GMT...), "Email" (BILLmanager's Russian label) and
//   brand names (Google Authenticator, Telegram);
// - text marked as another language (lang="en": "English" on the switch)
//   and data shown as data (<code>: keys, recovery codes).
// Each offending string is reported with its page and, when it is one, the
// English catalog entry it came from. Catalog entries whose Russian equals
// the English ("Email", "2FA") are not leaks: Russian uses the same word.
import t from 'tap'
import { createEta } from '../../src/plugins/view.ts'
import { newSecret, sealSecret } from '../../src/features/two-factor/otp.ts'
import { appNameIn, translator } from '../../src/lib/i18n.ts'
import { render, templates, type NotificationType } from '../../src/lib/deliveries/templates.ts'
import { issueToken } from '../../src/lib/tokens.ts'
import { unsubscribeToken } from '../../src/lib/unsubscribe.ts'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { en } from '../../src/locales/en.ts'
import { ru } from '../../src/locales/ru.ts'
import { Agent, createOwner, createUser, grantPermissions, signIn, startTestApp } from '../helpers/app.ts'

// Telegram set up, so that its page is walked in every state (nothing is sent: no chat gets a message in the walk but Unlink's, to a closed port).
const ta = await startTestApp(t, { env: { TELEGRAM_BOT_TOKEN: '1:walk', TELEGRAM_BOT_USERNAME: 'walk_test_bot', TELEGRAM_API_URL: 'http://127.0.0.1:9' } })
const { app, base, clock, config } = ta
const db = app.deps.db
const RU = { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' }

// ---------------------------------------------------------------- what is English

const ALLOWED_WORDS = new Set([
  'TOTP', 'SMS', 'IP', 'CSV', 'QR', '2FA', 'UTC', 'GMT', 'IPv4', 'IPv6', 'ID', 'PNG', 'JPEG', 'WebP', 'CIDR', 'API', 'URL',
  'Email', 'email', 'E-mail', 'e-mail',
  'Google', 'Authenticator', 'Telegram', 'OpenID', 'Connect', 'OAuth'
])
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g
const URL_RE = /\b(?:https?|otpauth):\/\/\S+/g
// Telegram bot commands (/start, /stop) are typed as they are, in any language.
const BOT_COMMAND = /(?<![\w/])\/(?:start|stop)\b/g
const LATIN_RUN = /[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:['’-][A-Za-z0-9]+)*(?:[ \t]+[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:['’-][A-Za-z0-9]+)*)*/g

type Entry = string | Readonly<Record<string, string>>
const formsOf = (entry: Entry): string[] => typeof entry === 'string' ? [entry] : Object.values(entry)

/** Literal pieces of the English catalog (between placeholders) whose Russian differs, with their keys. */
const englishPieces: Array<{ key: string, piece: string }> = []
for (const key of Object.keys(en) as Array<keyof typeof en>) {
  const enForms = formsOf(en[key])
  if (JSON.stringify(enForms) === JSON.stringify(formsOf(ru[key]))) continue
  for (const form of enForms) {
    for (const piece of form.split(/\{\w+\}/)) {
      const words = piece.trim().match(/[A-Za-z]{2,}/g) ?? []
      if (words.some((w) => !ALLOWED_WORDS.has(w))) englishPieces.push({ key, piece: piece.trim() })
    }
  }
}

// APP_NAME is the provider's brand, shown as given; unset (as here), the default name must be Russian too.
const allowedNames: string[] = config.appNameSet ? [config.appName] : []

// IANA time zone names are identifiers, shown as they are (as BILLmanager's
// Russian interface does): "Europe/Moscow", "America/Los Angeles" in labels.
const ZONE_NAMES = new Set(Intl.supportedValuesOf('timeZone').flatMap((z) => [z, z.replaceAll('_', ' ')]))
// IPv6 addresses and ranges ("2001:db8::/32") are data, not words.
const IPV6 = /(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\/\d{1,3})?(?![\w:])/gi
const ZONE_LIKE = /\b[A-Z][a-z]+\/[A-Za-z_ /-]+/g

/** The zone name at the start of a candidate: the longest run of its words that is one. */
function withoutZones (text: string): string {
  return text.replace(ZONE_LIKE, (candidate) => {
    const words = candidate.split(' ')
    for (let n = words.length; n > 0; n--) {
      const name = words.slice(0, n).join(' ').trim()
      if (ZONE_NAMES.has(name)) return ` ${words.slice(n).join(' ')}`
    }
    return candidate
  })
}

/** The string without what may stay in Latin letters: addresses, links, time zone names, the app's and people's names. */
function scrub (text: string): string {
  let out = withoutZones(text.replace(EMAIL, ' ').replace(URL_RE, ' ').replace(BOT_COMMAND, ' ')).replace(/\b(?:UTC|GMT)[+\-−]\d{1,2}(?::\d{2})?/g, ' ')
    .replace(IPV6, ' ')
  for (const name of allowedNames) out = out.split(name).join(' ')
  return out
}

/** The Latin-letter runs of a string that are not allowed tokens. */
function latinLeaks (text: string): string[] {
  return (scrub(text).match(LATIN_RUN) ?? []).filter((run) => !run.split(/[ \t]+/).every((w) => ALLOWED_WORDS.has(w)))
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const pieceRes = englishPieces.map((p) => ({ key: p.key, re: new RegExp(`(?<![A-Za-z])${escapeRe(p.piece)}(?![A-Za-z])`) }))

/** Which English catalog entries a string shows, if any. */
function englishKeys (text: string): string[] {
  const scrubbed = scrub(text)
  return [...new Set(pieceRes.filter((p) => p.re.test(scrubbed)).map((p) => p.key))]
}

const decode = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, ' ')
  .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n))).replace(/&amp;/g, '&')

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'])
const DATA = new Set(['script', 'style', 'code', 'svg'])

/** What a reader sees or hears of a page: text, and the attributes screen readers and browsers show. */
export function visibleTexts (html: string, lang = 'ru'): string[] {
  const out: string[] = []
  let skip: { name: string, depth: number } | undefined
  for (const m of html.matchAll(/<!--[\s\S]*?-->|<![^>]*>|<(\/?)([a-zA-Z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|([^<]+)/g)) {
    const [, close, rawName, attrs = '', text] = m
    if (text !== undefined) {
      if (skip === undefined && text.trim() !== '') out.push(decode(text).replace(/\s+/g, ' ').trim())
      continue
    }
    if (rawName === undefined) continue
    const name = rawName.toLowerCase()
    if (skip !== undefined) {
      if (name === skip.name && !VOID.has(name)) skip.depth += close === '/' ? -1 : 1
      if (skip.depth === 0) skip = undefined
      continue
    }
    if (close === '/') continue
    const attr = (n: string): string | undefined => attrs.match(new RegExp(`\\s${n}="([^"]*)"`))?.[1]
    const own = attr('lang')
    if (DATA.has(name) || (own !== undefined && own !== lang && name !== 'html')) {
      if (!VOID.has(name)) skip = { name, depth: 1 }
      continue
    }
    for (const a of ['aria-label', 'title', 'alt', 'placeholder']) {
      const v = attr(a)
      if (v !== undefined && v.trim() !== '') out.push(decode(v))
    }
    if (name === 'input' && /^(submit|button|reset)$/.test(attr('type') ?? '')) {
      const v = attr('value')
      if (v !== undefined) out.push(decode(v))
    }
  }
  return out
}

/** Each English string found, with the first place it was seen and how many places show it. */
const leaks = new Map<string, { where: string, times: number }>()
function leak (where: string, what: string): void {
  const seen = leaks.get(what)
  if (seen === undefined) leaks.set(what, { where, times: 1 })
  else seen.times++
}

/** Records every English string of a text or page, with where it was seen. */
function check (where: string, texts: string[]): void {
  for (const text of texts) {
    const runs = latinLeaks(text)
    const keys = englishKeys(text)
    if (runs.length === 0 && keys.length === 0) continue
    leak(where, `"${text}"${runs.length > 0 ? ` (Latin: ${runs.join(' | ')})` : ''}${keys.length > 0 ? ` (English of ${keys.join(', ')})` : ''}`)
  }
}

function checkPage (where: string, res: { statusCode: number, headers: Record<string, unknown>, body: string }): boolean {
  const type = res.headers['content-type']
  if (typeof type !== 'string' || !type.startsWith('text/html')) return false
  const html = res.body
  if (!/<html lang="ru">/.test(html)) leak(where, 'the page is not marked lang="ru"')
  check(where, visibleTexts(html))
  return true
}

// ---------------------------------------------------------------- the switch

t.test('before sign-in: the cookie set by the switch, then Accept-Language, then English', async (t) => {
  const a = new Agent(app, RU)
  const login = await a.get(`${base}login?return_to=${encodeURIComponent(`${base}client/users`)}`)
  t.match(login.body, '<html lang="ru">', 'Accept-Language: ru')
  t.match(login.body, /<form method="post" action="\/language" class="language-switch"/, 'the login page has the switch')
  t.match(login.body, /<button type="submit" name="lang" value="en" lang="en" class="link">English<\/button>/)
  t.match(login.body, /value="ru" lang="ru" class="link" aria-current="true">Русский</)

  const res = await a.post(`${base}language`, { lang: 'en', return_to: `${base}login?return_to=${encodeURIComponent(`${base}client/users`)}&signed_out=1` })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${base}login?return_to=${encodeURIComponent(`${base}client/users`)}`, 'back to the login page, its return_to kept')
  const cookie = String(res.headers['set-cookie'])
  t.match(cookie, /^lang=en; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/, 'long-lived, HttpOnly, SameSite=Lax, on BASE_PATH')
  t.match((await a.get(`${base}login`)).body, '<html lang="en">', 'the cookie wins over Accept-Language')
  t.match((await a.get(`${base}password/forgot`)).body, '<html lang="en">', 'on every page before sign-in')
  t.match((await a.get(`${base}no-such-page`)).body, '<html lang="en">', 'the 404 too')

  t.equal((await a.post(`${base}language`, { lang: 'ru', return_to: '//evil.test/x' })).headers.location, `${base}login`, 'never to another site')
  t.equal((await a.post(`${base}language`, { lang: 'ru', return_to: `${base}password/forgot` })).headers.location, `${base}password/forgot`)
  t.match((await a.get(`${base}password/forgot`)).body, '<html lang="ru">')
  const unknown = await a.post(`${base}language`, { lang: 'de', return_to: `${base}login` })
  t.equal(unknown.headers['set-cookie'], undefined, 'an unknown language sets nothing')

  const forged = await a.post(`${base}language`, { lang: 'en', _csrf: null })
  t.equal(forged.statusCode, 403, 'the CSRF token is checked as on every POST')
  t.equal(forged.headers['set-cookie'], undefined)

  // Signed in, the saved language wins over the cookie.
  const owner = await createOwner(ta, 'switch-owner@example.com', 'a long enough passphrase', 'Ольга Переключатель')
  await db.updateTable('users').set({ language: 'ru' }).where('id', '=', owner.userId).execute()
  const s = await signIn(ta, owner.email, owner.password, RU)
  s.cookies.set('lang', 'en')
  t.match((await s.get(`${base}client/profile`)).body, '<html lang="ru">', 'the user\'s saved language, not the cookie')
})

// ---------------------------------------------------------------- the walk

/** Every path of a route with its parameters filled by each candidate value. */
function pathsOf (url: string, values: Record<string, string[]>): string[] {
  let paths = ['']
  for (const segment of url.split('/').slice(1)) {
    const name = segment.startsWith(':') ? segment.slice(1) : undefined
    const options = name === undefined ? [segment] : values[name] ?? ['00000000-0000-4000-8000-000000000000']
    paths = paths.flatMap((p) => options.map((o) => `${p}/${o}`))
  }
  return paths.map((p) => p === '' ? '/' : p)
}

const isStatic = (url: string): boolean => url.startsWith(`${base}static`)
const QUERIES = ['', '?on=1&user=nobody%40example.com&type=signin', '?on=0&page=2']

t.test('every page, form error, flash, email and SMS is in Russian', async (t) => {
  const password = 'a long enough passphrase'
  const owner = await createOwner(ta, 'ru-walk-owner@example.com', password, 'Ольга Владелец')
  const member = await createUser(ta, owner.accountId, 'ru-walk-member@example.com', password, 'Мария Иванова')
  const payer = await createUser(ta, owner.accountId, 'ru-walk-payer@example.com', password, 'Пётр Смирнов')
  const viewer = await createUser(ta, owner.accountId, 'ru-walk-viewer@example.com', password, 'Анна Кузнецова')
  await grantPermissions(ta, member.userId, 'users.view', 'activity.view')
  await db.updateTable('users').set({ language: 'ru' }).where('account_id', '=', owner.accountId).execute()
  await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', viewer.userId).execute()
  await db.updateTable('users').set({ phone: '+79161234567', phone_verified: true }).where('id', '=', member.userId).execute()
  await db.insertInto('telegram_links').values({ user_id: owner.userId, chat_id: '777000', username: 'ivan_petrov', linked_at: clock.now() }).execute()
  const invited = await db.insertInto('users').values({ account_id: owner.accountId, email: 'ru-walk-invited@example.com', full_name: 'Иван Приглашённый', language: 'ru' }).returning('id').executeTakeFirstOrThrow()
  const now = clock.now()
  const tokens = [
    await issueToken(db, owner.userId, 'password_reset', now, 3600),
    await issueToken(db, invited.id, 'invite', now, 3600),
    await issueToken(db, payer.userId, 'email_change', now, 3600, { email: 'ru-walk-changed@example.com', by: owner.userId })
  ]
  // Optional documents in effect: the privacy page lists them, each with its page; a required one comes last (it holds every page).
  for (const [document, content] of [['sms-news', { textEn: 'SMS news.', textRu: 'Новости по SMS.', changesEn: 'New.', changesRu: 'Новое.' }], ['email-news', { url: 'https://example.com/email-news' }]] as const) {
    const r = await publishPolicy(app.deps, { document, version: 1, effectiveAt: now.toISOString(), ...content })
    if (!r.ok) throw new Error(`publish ${document}: ${r.reason}`)
  }
  const values: Record<string, string[]> = { id: [member.userId, owner.userId, viewer.userId, invited.id], token: tokens, document: ['sms-news', 'email-news'] }

  const pages = app.routeTable.filter((r) => r.method === 'GET' && r.kind === 'page' && !isStatic(r.url))
  // Uploads too (the avatar): posted without a file, as here, they answer with the form's message.
  const forms = app.routeTable.filter((r) => r.method === 'POST' && (r.kind === 'page' || r.kind === 'upload'))
  t.ok(pages.length >= 15, `${pages.length} page routes to walk`)
  let walked = 0

  async function walk (who: string, a: Agent): Promise<void> {
    for (const route of pages) {
      for (const path of pathsOf(route.url, values)) {
        for (const q of QUERIES) {
          const res = await a.get(path + q)
          if (checkPage(`${who} GET ${path}${q} (${res.statusCode})`, res)) walked++
        }
      }
    }
  }

  /** A POST as a browser would send it, prompt or not; then the page it leads to. */
  async function postAndFollow (who: string, a: Agent, path: string, form: Record<string, string>): Promise<void> {
    const params = new URLSearchParams({ _csrf: a.lastCsrf ?? '', ...form })
    const res = await app.inject({ method: 'POST', url: path, headers: { ...RU, cookie: a.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' }, payload: params.toString() })
    for (const c of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair = ''] = String(c).split(';')
      const i = pair.indexOf('=')
      if (pair.slice(i + 1) === '') a.cookies.delete(pair.slice(0, i))
      else a.cookies.set(pair.slice(0, i), pair.slice(i + 1))
    }
    const label = `${who} POST ${path} ${JSON.stringify(form)} (${res.statusCode})`
    checkPage(label, res)
    if (Agent.isPrompt(res)) {
      // The re-confirmation prompt, and its error for a wrong proof.
      const wrong = await a.confirm(res, 'not the password')
      checkPage(`${label} → wrong proof (${wrong.statusCode})`, wrong)
    }
    const location = res.headers.location
    if (typeof location === 'string' && location.startsWith(base)) {
      const next = await a.get(location)
      checkPage(`${label} → GET ${location} (${next.statusCode})`, next)
    }
  }

  // Bad values in Cyrillic: a form shows back what was typed, which is the user's text, not ours.
  const BAD = {
    email: 'не адрес', full_name: '<плохое имя>', password: 'коротко', password_repeat: 'другое', new_password: 'коротко', new_password_repeat: 'другое',
    current_password: 'неверный', phone: 'абв', code: '12', otp: '12', proof: '', action: 'enable', permission: 'нет.такого', access: 'chosen', lang: 'ru'
  }
  async function postEveryForm (who: string, signInAgain: () => Promise<Agent>): Promise<void> {
    for (const route of forms) {
      for (const path of pathsOf(route.url, { ...values, id: [member.userId] }).slice(0, 1)) {
        for (const form of [{}, BAD]) {
          const a = await signInAgain()
          await postAndFollow(who, a, path, form)
        }
      }
    }
  }

  // Signed out (Accept-Language: ru, no cookie).
  const anon = new Agent(app, RU)
  await walk('signed out', anon)
  // Signed in, as the owner with every page to see, and as a member without Users: manage.
  const ownerAgent = await signIn(ta, owner.email, password, RU)
  await walk('owner', ownerAgent)
  await walk('member', await signIn(ta, member.email, password, RU))
  await walk('member without permissions', await signIn(ta, payer.email, password, RU))

  // Two-factor on: the manage page, the second sign-in step and its error.
  const secret = newSecret()
  await db.updateTable('users').set({ two_factor_enabled: true, totp_secret: sealSecret(app.deps, secret) }).where('id', '=', owner.userId).execute()
  await walk('owner with 2FA', ownerAgent)
  const pending = new Agent(app, RU)
  await pending.logIn(base, owner.email, password)
  await walk('at the second step', pending)
  await postAndFollow('at the second step', pending, `${base}login/two-factor`, { code: '000000' })
  await db.updateTable('users').set({ two_factor_enabled: false, totp_secret: null }).where('id', '=', owner.userId).execute()

  // Every form, posted empty and with bad values: its 422 page, prompt or the flash it leads to.
  await postEveryForm('signed out', async () => {
    const a = new Agent(app, RU)
    await a.get(`${base}login`)
    return a
  })
  await postEveryForm('owner', async () => await signIn(ta, owner.email, password, RU))
  await postEveryForm('member', async () => await signIn(ta, member.email, password, RU))

  // A required document in effect: the acceptance page, its refusal when nothing is ticked, and the refusal of any other post.
  const policy = await publishPolicy(app.deps, { document: 'privacy-policy', version: 1, effectiveAt: clock.now().toISOString(), textEn: 'The policy.', textRu: 'Политика.', changesEn: 'All of it.', changesRu: 'Всё.' })
  if (!policy.ok) throw new Error(`publish privacy-policy: ${policy.reason}`)
  const held = await signIn(ta, owner.email, password, RU)
  const accept = await held.get(`${base}client/settings/privacy/accept`)
  t.equal(accept.statusCode, 200, 'the acceptance page')
  if (checkPage('owner GET the acceptance page', accept)) walked++
  await postAndFollow('owner', held, `${base}client/settings/privacy/accept`, {})
  await postAndFollow('owner', held, `${base}client/profile/name`, { full_name: 'Ольга Владелец' })
  await held.get(`${base}client/settings/privacy/accept`)
  t.equal((await held.post(`${base}client/settings/privacy/accept`, { accept: 'privacy-policy:1' })).statusCode, 303, 'accepted: the pages below are reachable again')

  t.ok(walked > 100, `${walked} HTML pages walked`)

  // Every flash message: the flash partial, for every message of the catalog (a superset of the flash keys).
  const eta = createEta('ru')
  const sample = { count: 3, n: 3, email: 'ivan@example.com', name: 'Иван Петров', phone: '+7 916 123-45-67', date: '26 нояб. 2026 г.', page: 2, pages: 5, zone: 'UTC', target: 'Иван Петров (ivan@example.com)', operation: 'изменить пользователя', app: appNameIn(config, 'ru') }
  const tr = translator('ru')
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    for (const count of [1, 3, 5]) {
      const html = eta.render('partials/flash', { t: tr, flash: { type: 'info', text: key, params: { ...sample, count } } })
      check(`flash ${key} (count ${count})`, visibleTexts(html).map((s) => s.replace(/\{\w+\}/g, '')))
    }
  }

  // Every email and SMS of every notification type, in Russian.
  // Sample values of every parameter a type takes; a Date only for the types that take one (the others pass theirs on as text).
  const params = { link: `${config.linkBase}x`, ip: '192.0.2.1', inviter: 'Ольга Владелец', old: 'old@example.com', new: 'new@example.com', actor: 'Ольга Владелец', minutes: 5, code: '123456', kind: 'deletion', status: 'rejected', reason: 'Есть неоплаченные счета', type: 'billing', subject: 'Счёт готов', text: 'Оплатите счёт до пятницы.' }
  for (const type of Object.keys(templates) as NotificationType[]) {
    for (const minutes of [1, 3, 15]) {
      const to = { name: 'Иван Петров', email: 'ivan@example.com' }
      let out
      try {
        out = render(config, 'ru', type, { ...params, minutes }, to)
      } catch {
        out = render(config, 'ru', type, { ...params, minutes, at: clock.now() }, to)
      }
      if (out.mail !== undefined) {
        check(`mail ${type}: subject`, [out.mail.subject])
        check(`mail ${type}: text`, out.mail.text.split('\n'))
        check(`mail ${type}: html`, visibleTexts(String(out.mail.html)))
        if (!String(out.mail.html).includes('<html lang="ru">')) leak(`mail ${type}`, 'the HTML part is not marked lang="ru"')
      }
      if (out.text !== undefined) check(`sms ${type}`, [out.text])
    }
  }

  // The unsubscribe page (a public link page, not walked above): its question, its answer, a bad link.
  const unsubscribePath = `${base}unsubscribe/${unsubscribeToken(app.deps.keys.unsubscribe, { userId: owner.userId, type: 'billing', channel: 'mail' })}`
  for (const [method, path] of [['GET', unsubscribePath], ['POST', unsubscribePath], ['GET', `${base}unsubscribe/nonsense`]] as const) {
    const res = await app.inject({ method, url: path, headers: { ...RU, 'content-type': 'application/x-www-form-urlencoded' }, payload: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined })
    checkPage(`signed out ${method} ${path} (${res.statusCode})`, res)
  }

  // The activity CSV's header row.
  const csv = await (await signIn(ta, owner.email, password, RU)).get(`${base}client/activity.csv`)
  t.equal(csv.statusCode, 200)
  if (csv.statusCode === 200) check('activity CSV header', [csv.body.replace(/^\ufeff/, '').split('\r\n')[0]!])

  t.same([...leaks].map(([what, { where, times }]) => `${what} on ${where}${times > 1 ? ` and ${times - 1} more` : ''}`), [], 'no English string is shown to a Russian user')
})

t.test('the Russian catalog itself holds no English words', async (t) => {
  const found: string[] = []
  for (const [key, entry] of Object.entries(ru) as Array<[string, Entry]>) {
    for (const text of formsOf(entry)) {
      const runs = latinLeaks(text.replace(/\{\w+\}/g, ' '))
      if (runs.length > 0) found.push(`${key}: "${text}" (Latin: ${runs.join(' | ')})`)
    }
  }
  t.same(found, [])
})
