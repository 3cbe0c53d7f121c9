// Every page a user can reach, in one language, in a real browser with
// JavaScript off: signed out, as the owner (with its lists empty, then
// full), the phone's SMS code step, as a member without permissions (403),
// two-factor setup, its recovery codes (their download checked: a text file
// is no page to audit) and the sign-in step. Each page is handed to `visit`
// as it is shown; the browser suite audits them (test/helpers/page-audit.ts,
// from test/e2e/pages-en.test.ts and pages-ru.test.ts) and
// `npm run screenshots` photographs them (scripts/screenshots.ts).
// Selectors use names, not labels, so that the same tour runs in English
// and in Russian.
import { mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as OTPAuth from 'otpauth'
import sharp from 'sharp'
import type { Browser, Page } from 'playwright-core'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { createAccount } from '../../src/features/provider/index.ts'
import { createSsoLink } from '../../src/features/sso/index.ts'
import { hashPassword } from '../../src/lib/passwords.ts'
import { issueToken } from '../../src/lib/tokens.ts'
import { writeServicesFile } from './identity-provider.ts'
import type { Deps } from '../../src/types.ts'

/**
 * What the tour runs against: the service's Deps (to seed accounts, members,
 * documents and tokens as the provider would) and the app's clock. A
 * TestApp is one: the tour moves its clock to a fresh time step for each
 * One-time password. test/e2e/proxy.test.ts gives the Deps of a
 * provider-side connection to its instances' database and the system clock,
 * which cannot be moved (advance absent): its codes are the current step's,
 * which the setup accepts twice (checking the code on the Enable page uses
 * no step up; the confirmed Enable does).
 */
export interface TourHost {
  app: { deps: Deps }
  clock: { now: () => Date, advance?: (seconds: number) => void }
}

export type Visit = (name: string, page: Page) => Promise<void>

/**
 * What the app the tour runs on needs beyond the defaults: a bot, so that the
 * Telegram block is set up (its replies go to a closed port and wait in the
 * queue); two external authorization services, so that the login page offers
 * them and their settings page lists them (on a closed port: the tour shows
 * the pages, test/e2e/external-auth.test.ts goes through a real provider).
 */
export const TOUR_ENV: Readonly<Record<string, string>> = {
  AUTH_PROVIDERS_FILE: writeServicesFile(mkdtempSync(path.join(tmpdir(), 'tour-')), [
    { id: 'keycloak', name: 'Keycloak', issuer: 'http://127.0.0.1:9/realms/tour', clientId: 'panel', clientSecret: 'tour-secret' },
    { id: 'github', name: 'GitHub', authorizationUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token', userinfoUrl: 'http://127.0.0.1:9/user', subjectField: 'id', clientId: 'panel', clientSecret: 'tour-secret' }
  ]),
  TELEGRAM_BOT_TOKEN: '123456:tour-token',
  TELEGRAM_BOT_USERNAME: 'panel_tour_bot',
  TELEGRAM_WEBHOOK_SECRET: 'tour-webhook-secret',
  TELEGRAM_API_URL: 'http://127.0.0.1:9'
}

const MEMBER_PASSWORD = 'member passphrase here'

async function submit (page: Page, form = 'main form'): Promise<void> {
  await page.locator(`${form} button[type="submit"]`).first().click()
}

async function logIn (page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/login`)
  await page.locator('input[name="email"]').fill(email)
  await page.locator('input[name="password"]').fill(password)
  await submit(page)
  await acceptPolicies(page)
}

/** A required document another tour published (the other language's, in one database) holds a user who signs in: they accept it. */
async function acceptPolicies (page: Page): Promise<void> {
  if (!new URL(page.url()).pathname.endsWith('/client/settings/privacy/accept')) return
  for (const box of await page.locator('input[name="accept"]').all()) await box.check()
  await submit(page)
}

/** Adds users to the owner's account straight in the database: a list to show, not a flow to test. */
async function addMembers (ta: TourHost, accountId: string, lang: string): Promise<string[]> {
  const hash = await hashPassword(MEMBER_PASSWORD)
  const ids: string[] = []
  const people = lang === 'ru'
    ? [['Мария Иванова', '+79161234567', true], ['Пётр Смирнов', null, false], ['Анна Кузнецова', '+79031112233', false]] as const
    : [['Mark Member', '+14155550123', true], ['Paula Payer', null, false], ['Dmitri Longname-Verylongsurname', '+442071838750', false]] as const
  for (const [i, [name, phone, verified]] of people.entries()) {
    const row = await ta.app.deps.db.insertInto('users').values({
      account_id: accountId,
      // The third: an address long enough to be wider than its column (one unbroken word) beside a long name.
      email: i === 2 ? `member2-${lang}.with.a.rather.long.address@subdomain.example.com` : `member${i}-${lang}@example.com`,
      full_name: name,
      password_hash: hash,
      phone,
      phone_verified: verified,
      language: lang,
      status: i === 2 ? 'disabled' : 'active'
    }).returning('id').executeTakeFirstOrThrow()
    ids.push(row.id)
  }
  await ta.app.deps.db.insertInto('user_permissions').values([{ user_id: ids[0]!, permission: 'users.view' }, { user_id: ids[0]!, permission: 'activity.view' }]).execute()
  return ids
}

export async function tour (ta: TourHost, browser: Browser, origin: string, lang: 'en' | 'ru', visit: Visit): Promise<void> {
  const email = `owner-${lang}@example.com`
  const password = 'owner passphrase here'
  const created = await createAccount(ta.app.deps, { email, name: lang === 'ru' ? 'Ольга Владелец' : 'Olga Owner', password })
  if (!created.ok) throw new Error(`createAccount: ${created.reason}`)
  await ta.app.deps.db.updateTable('users').set({ language: lang }).where('id', '=', created.userId).execute()
  // A user invited and not signed in yet: the link to set a password.
  const invited = await createAccount(ta.app.deps, { email: `invited-${lang}@example.com`, name: 'Ivan Invited' })
  if (!invited.ok || invited.inviteUrl === undefined) throw new Error('createAccount: no invitation')
  await ta.app.deps.db.updateTable('users').set({ language: lang }).where('id', '=', invited.userId).execute()

  // ignoreHTTPSErrors: the proxy test's nginx has a certificate made for the run, trusted by nothing.
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 }, locale: lang === 'ru' ? 'ru-RU' : 'en-US', extraHTTPHeaders: { 'Accept-Language': lang }, ignoreHTTPSErrors: true })
  try {
    const page = await context.newPage()
    // Signed out.
    await page.goto(`${origin}/login`)
    await visit('login', page)
    await page.locator('input[name="email"]').fill(email)
    await page.locator('input[name="password"]').fill('not the password at all')
    await submit(page)
    await visit('login-error', page)
    await page.goto(`${origin}/password/forgot`)
    await visit('forgot', page)
    await page.locator('input[name="email"]').fill(email)
    await submit(page)
    await visit('forgot-sent', page)
    // The link's path under PUBLIC_URL, opened on the origin the tour runs on.
    await page.goto(`${origin}/${invited.inviteUrl.slice(ta.app.deps.config.linkBase.length)}`)
    await visit('reset', page)
    await submit(page)
    await visit('reset-errors', page)
    await page.goto(`${origin}/password/reset/not-a-valid-token`)
    await visit('reset-invalid', page)
    // The provider's SSO link: its one button (looked at, not pressed), and a link that is not valid.
    const sso = await createSsoLink(ta.app.deps, { userId: created.userId })
    if (!sso.ok) throw new Error(`createSsoLink: ${sso.reason}`)
    await page.goto(`${origin}/sso${new URL(sso.url).search}`)
    await visit('sso', page)
    await page.goto(`${origin}/sso?token=not-a-valid-token`)
    await visit('sso-invalid', page)
    await page.goto(`${origin}/no-such-page`)
    await visit('not-found-signed-out', page)

    // The owner, lists empty.
    await logIn(page, origin, email, password)
    await visit('profile-owner', page)
    // The phone's menu opens with JavaScript off: it is a <details>.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.locator('details.menu > summary').click()
    if (await page.locator('details.menu[open] nav a').first().isVisible() !== true) throw new Error('the Menu button does not open the menu')
    await visit('menu-open', page)
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(`${origin}/client/profile/sessions`)
    await visit('sessions', page)
    await page.goto(`${origin}/client/settings`)
    await visit('settings', page)
    await page.goto(`${origin}/client/users`)
    await visit('users-empty', page)
    await page.goto(`${origin}/client/activity`)
    await visit('activity-new', page)
    await page.goto(`${origin}/client/users/new`)
    await visit('users-new', page)
    await page.locator('input[name="email"]').fill(`new-${lang}@example.com`)
    await page.locator('input[name="full_name"]').fill('Nina New')
    await submit(page)
    await visit('reconfirm', page)
    await page.locator('input[name="proof"]').fill('wrong password for the prompt')
    await submit(page)
    await visit('reconfirm-error', page)

    // The owner with a phone, then with other users.
    await page.goto(`${origin}/client/profile`)
    await page.locator('input[name="phone"]').fill(lang === 'ru' ? '+7 916 555-01-23' : '+1 415 555 0199')
    await page.locator('#phone button[type="submit"]').first().click()
    if (await page.locator('form[data-reconfirm]').count() === 1) {
      await page.locator('input[name="proof"]').fill(password)
      await submit(page)
    }
    await visit('profile-phone', page)
    // The SMS code step: Verify sends a code (no prompt: the phone was confirmed a moment ago), then a wrong code.
    await page.locator('button[form="phone-verification"]').click()
    if (await page.locator('form[data-reconfirm]').count() === 1) throw new Error('Verify asked again within the phone\'s confirmation')
    if (await page.locator('form.code-step input[name="code"]').count() !== 1) throw new Error('no code step after Verify')
    await visit('profile-phone-code', page)
    await page.locator('form.code-step input[name="code"]').fill('12345')
    await page.locator('form.code-step button[type="submit"]').click()
    await visit('profile-phone-code-error', page)
    const [member, payer] = await addMembers(ta, created.accountId, lang)
    await page.goto(`${origin}/client/users`)
    await visit('users', page)
    await page.goto(`${origin}/client/users/${member}/edit`)
    await visit('users-edit', page)
    await page.goto(`${origin}/client/users/${member}/disable`)
    await visit('users-disable', page)
    await page.goto(`${origin}/client/users/${payer}/delete`)
    await visit('users-delete', page)
    await page.goto(`${origin}/client/users/${member}/permissions`)
    await visit('users-permissions', page)
    await page.locator('input[name="permission"]:not([disabled])').nth(1).check()
    await page.locator('main form button[value="enable"]').click()
    await visit('users-permissions-confirm', page)
    await page.goto(`${origin}/client/users/${member}/full-access?on=1`)
    await visit('users-full-access', page)
    await page.goto(`${origin}/client/activity`)
    await visit('activity', page)
    await page.goto(`${origin}/client/users/00000000-0000-4000-8000-000000000000/edit`)
    await visit('not-found', page)
    const token = await issueToken(ta.app.deps.db, payer!, 'email_change', ta.clock.now(), 3600, { email: `changed-${lang}@example.com`, by: created.userId })
    await page.goto(`${origin}/email/confirm/${token}`)
    await visit('email-confirm', page)

    // Privacy: the documents in effect, a consent given, an export and a
    // restriction asked for (each through the prompt), a document's own page;
    // then a required document takes effect: the acceptance page holds the
    // owner until it is ticked.
    const publish = async (input: Parameters<typeof publishPolicy>[1]): Promise<void> => {
      const published = await publishPolicy(ta.app.deps, input)
      if (!published.ok) throw new Error(`publishPolicy: ${published.reason}`)
    }
    const effective = ta.clock.now().toISOString()
    // The other language's tour, in the same database, may have published them.
    if (await ta.app.deps.db.selectFrom('policy_versions').select('version').where('document', '=', 'sms-news').executeTakeFirst() === undefined) {
      await publish({ document: 'sms-news', version: 1, effectiveAt: effective, textEn: 'News by SMS, at most once a month.', textRu: 'Новости по SMS, не чаще раза в месяц.' })
      await publish({ document: 'email-news', version: 1, effectiveAt: effective, url: 'https://provider.example/email-news' })
    }
    await page.goto(`${origin}/client/settings/privacy`)
    await visit('privacy-empty', page)
    await page.locator('form[action$="/privacy/decisions"] button').first().click()
    await page.locator('form[action$="/privacy/export"] button').click()
    await page.locator('input[name="proof"]').fill(password)
    await submit(page)
    await page.locator('form[action$="/privacy/requests/restriction"] button').click()
    await visit('privacy-reconfirm', page)
    await page.locator('input[name="proof"]').fill(password)
    await submit(page)
    await visit('privacy', page)
    await page.goto(`${origin}/client/settings/privacy/documents/sms-news`)
    await visit('privacy-document', page)
    const published = await ta.app.deps.db.selectFrom('policy_versions').select((eb) => eb.fn.max('version').as('v')).where('document', '=', 'privacy-policy').executeTakeFirst()
    await publish({
      document: 'privacy-policy',
      version: (published?.v ?? 0) + 1,
      effectiveAt: effective,
      textEn: 'We keep your name, your email address and the addresses you sign in from.\n\nYou may ask for a copy or for their deletion at any time.',
      textRu: 'Мы храним ваше имя, адрес электронной почты и адреса, с которых вы входите.\n\nВы можете в любой момент запросить их копию или удаление.',
      changesEn: 'Sign-in addresses are now kept for one year.',
      changesRu: 'Адреса входа теперь хранятся один год.'
    })
    await page.goto(`${origin}/client/profile`)
    await visit('privacy-accept', page)
    await submit(page)
    await visit('privacy-accept-error', page)
    await page.locator('input[name="accept"]').check()
    await submit(page)
    if (new URL(page.url()).pathname.endsWith('/accept')) throw new Error('the acceptance page did not let the owner go on')

    // Notifications, Telegram (linked through the bot's webhook as Telegram would post it) and the avatar.
    await page.goto(`${origin}/client/settings/notifications`)
    await visit('notifications', page)
    await page.goto(`${origin}/client/settings/telegram`)
    await visit('telegram', page)
    await page.locator('form[action$="/telegram/link"] button').click()
    await visit('telegram-code', page)
    const startCode = (await page.locator('#telegram-code').textContent())!.replace('/start', '').trim()
    const chatId = lang === 'ru' ? 7000002 : 7000001
    const hook = await page.request.post(`${origin}/telegram/webhook`, {
      headers: { 'x-telegram-bot-api-secret-token': TOUR_ENV.TELEGRAM_WEBHOOK_SECRET! },
      data: { update_id: chatId, message: { message_id: 1, date: 0, text: `/start ${startCode}`, entities: [{ type: 'bot_command', offset: 0, length: 6 }], from: { id: chatId, is_bot: false, first_name: 'Olga', username: `olga_${lang}`, language_code: lang }, chat: { id: chatId, type: 'private', first_name: 'Olga' } } }
    })
    if (hook.status() !== 200) throw new Error(`the Telegram webhook answered ${hook.status()}`)
    await page.goto(`${origin}/client/settings/telegram`)
    await visit('telegram-linked', page)
    await page.goto(`${origin}/client/settings/telegram/unlink`)
    await visit('telegram-unlink', page)
    await page.goto(`${origin}/client/settings/notifications`)
    await visit('notifications-telegram', page)
    await page.goto(`${origin}/client/settings/avatar`)
    await visit('avatar-none', page)
    const picture = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 46, g: 110, b: 180 } } }).png().toBuffer()
    await page.locator('input[name="avatar"]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture })
    await page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click()
    await visit('avatar', page)
    await page.locator('input[name="avatar"]').setInputFiles({ name: 'page.png', mimeType: 'image/png', buffer: Buffer.from('<html><body>not a picture</body></html>') })
    await page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click()
    await visit('avatar-error', page)

    // External authorization services: the list, Bind's prompt, a bound
    // service (straight in the database: the flow is test/e2e/external-auth's),
    // and the page a failed callback lands on.
    await page.goto(`${origin}/client/settings/external-auth`)
    await visit('external-auth', page)
    await page.locator('form[action$="/auth/keycloak/start"] button').click()
    if (await page.locator('form[data-reconfirm]').count() !== 1) throw new Error('Bind did not ask to confirm')
    await visit('external-auth-reconfirm', page)
    await ta.app.deps.db.insertInto('external_identities').values({ user_id: created.userId, service: 'github', issuer: 'http://127.0.0.1:9/user', subject: `tour-${lang}`, display: lang === 'ru' ? 'olga.vladelets@example.com' : 'olga.owner@example.com', bound_at: ta.clock.now() }).execute()
    await page.goto(`${origin}/client/settings/external-auth`)
    await visit('external-auth-bound', page)
    await page.goto(`${origin}/auth/github/callback?code=stale&state=stale`)
    await visit('external-auth-failed', page)

    // Two-factor: setup, the prompt, the recovery codes, the manage page, the sign-in step.
    await page.goto(`${origin}/client/settings/two-factor`)
    await visit('two-factor-setup', page)
    const key = (await page.locator('#totp-key').textContent())!.replace(/\s/g, '')
    const code = (): string => {
      ta.clock.advance?.(30)
      return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: ta.clock.now().getTime() })
    }
    await page.locator('input[name="code"]').fill(code())
    await submit(page)
    await visit('two-factor-reconfirm', page)
    await page.locator('input[name="code"]').fill(code())
    await page.locator('input[name="proof"]').fill(password)
    await submit(page)
    await visit('recovery-codes', page)
    // The download (a form, JavaScript off): a text file of the codes just shown, the page staying as it was.
    const shown = (await page.locator('ul.codes code').first().textContent())!.trim()
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('main form.actions button[type="submit"]').click()])
    const file = await readFile(await download.path(), 'utf8')
    if (download.suggestedFilename() !== 'recovery-codes.txt' || !file.includes(shown)) throw new Error(`the recovery codes download: ${download.suggestedFilename()}`)
    await page.goto(`${origin}/client/settings/two-factor`)
    await visit('two-factor-manage', page)
    await page.locator('header form button[type="submit"]').click()
    await page.locator('input[name="email"]').fill(email)
    await page.locator('input[name="password"]').fill(password)
    await submit(page)
    await visit('login-two-factor', page)
    await page.locator('input[name="code"]').first().fill('000000')
    await submit(page)
    await visit('login-two-factor-error', page)

    // A member without the Users permission.
    const other = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 }, extraHTTPHeaders: { 'Accept-Language': lang }, ignoreHTTPSErrors: true })
    try {
      const mp = await other.newPage()
      await logIn(mp, origin, `member1-${lang}@example.com`, MEMBER_PASSWORD)
      await visit('profile-member', mp)
      await mp.goto(`${origin}/client/users`)
      await visit('forbidden', mp)
    } finally {
      await other.close()
    }
  } finally {
    await context.close()
  }
}
