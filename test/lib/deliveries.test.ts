// The deliveries' parts that need no database: the backoff curve, the
// neutralised user text, every notification type written in both
// languages, and the mail sender's headers, HTML and attachments as a real
// SMTP server receives them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { givesUp, retryDelaySeconds, SMS_MAX_DELAY_SECONDS, channelSenders } from '../../src/lib/deliveries/channels.ts'
import { describeError } from '../../src/lib/deliveries/send.ts'
import { type NotificationParams, type NotificationType, render } from '../../src/lib/deliveries/templates.ts'
import { neutraliseUserText } from '../../src/lib/deliveries/user-text.ts'
import { languages } from '../../src/lib/i18n.ts'
import { createMailSender } from '../../src/lib/mail.ts'
import { TestSmtp } from '../helpers/smtp.ts'

t.test('the delay doubles from the base, stays within [d/2, d] and stops growing at the cap; the limit counts retries', async (t) => {
  const policy = { baseSeconds: 30, capSeconds: 900, limit: 3 }
  const longest = [1, 2, 3, 4, 5, 6, 7, 20, 1000].map((n) => retryDelaySeconds(policy, n, () => 1))
  t.same(longest, [30, 60, 120, 240, 480, 900, 900, 900, 900])
  const shortest = [1, 2, 3, 6, 7].map((n) => retryDelaySeconds(policy, n, () => 0))
  t.same(shortest, [15, 30, 60, 450, 450], 'equal jitter: at least half the step')
  for (let n = 1; n < 5; n++) {
    t.ok(retryDelaySeconds(policy, n + 1, () => 0) >= retryDelaySeconds(policy, n, () => 1), `while the step doubles, try ${n + 2} never comes sooner after its failure than try ${n + 1}`)
  }
  t.same([1, 2, 3, 4].map((n) => givesUp(policy, n)), [false, false, false, true], 'limit 3: the fourth failure is the last')
  const config = { deliveryRetryDelaySeconds: 30, deliveryRetryMaxDelaySeconds: 900, deliveryRetryLimit: 100 }
  const senders = channelSenders({ config: config as never, db: undefined as never, clock: undefined as never, sendMail: async () => {}, sendSms: async () => {}, sendTelegram: async () => {} })
  t.same(senders.mail.retry, { baseSeconds: 30, capSeconds: 900, limit: 100 })
  t.same(senders.sms.retry, { baseSeconds: 30, capSeconds: SMS_MAX_DELAY_SECONDS, limit: 100 }, 'SMS codes live 5 minutes: tried at least every minute')
})

t.test('text a user typed never reads as a link', async (t) => {
  const cases: Array<[string, string]> = [
    ['=HYPERLINK("http://evil.test")', '=HYPERLINK("http[:]//evil[.]test")'],
    ['visit www.evil.test now', 'visit www[.]evil[.]test now'],
    ['HTTPS://Evil.Test/path?q=1', 'HTTPS[:]//Evil[.]Test/path?q=1'],
    ['mailto:me@evil.test', 'mailto[:]me@evil[.]test'],
    ['evil。test and evil．test', 'evil[。]test and evil[．]test'],
    ['http：／／evil.test', 'http[:]//evil[.]test'],
    ['ftp://1.2.3.4', 'ftp[:]//1[.]2[.]3[.]4'],
    ['J. R. R. Tolkien', 'J. R. R. Tolkien'],
    ['Анна-Мария Иванова', 'Анна-Мария Иванова'],
    ['Big data: Bob', 'Big data: Bob']
  ]
  for (const [typed, shown] of cases) t.equal(neutraliseUserText(typed), shown, typed)
})

const config = { linkBase: 'http://panel.test/', appName: 'Panel' }
const samples: { [T in NotificationType]: NotificationParams[T] } = {
  password_reset: { link: 'http://panel.test/password/reset/TOKEN' },
  password_changed: { at: new Date('2026-11-25T06:07:08Z'), ip: '192.0.2.7' },
  invite: { inviter: 'Olga Owner', link: 'http://panel.test/password/reset/TOKEN' },
  welcome: { inviter: 'Olga Owner' },
  email_change_confirm: { old: 'old@example.com', new: 'new@example.com', actor: 'Olga Owner', link: 'http://panel.test/email/confirm/TOKEN' },
  email_change_notice: { old: 'old@example.com', new: 'new@example.com', actor: 'Olga Owner' },
  address_in_use_add: {},
  address_in_use_change: {},
  otp_locked: { minutes: 15 },
  otp_replay: {},
  totp_enabled: { at: new Date('2026-11-25T06:07:08Z'), ip: '192.0.2.7' },
  totp_disabled: { at: new Date('2026-11-25T06:07:08Z'), ip: '192.0.2.7' },
  totp_codes_regenerated: { at: new Date('2026-11-25T06:07:08Z'), ip: '192.0.2.7' },
  totp_reset: { at: new Date('2026-11-25T06:07:08Z') },
  new_sign_in: { at: new Date('2026-11-25T06:07:08Z'), ip: '198.51.100.9', browser: 'Firefox 140 · Linux' },
  phone_code: { code: '123456', minutes: 5 },
  telegram_linked: {},
  telegram_code_invalid: {},
  telegram_chat_taken: {},
  telegram_unlinked: {},
  privacy_request: { kind: 'deletion', status: 'rejected', reason: 'The account has unpaid invoices', at: new Date('2026-11-25T06:07:08Z') },
  notice: { type: 'billing', subject: 'Invoice 42 is ready', text: 'Your invoice for November is ready.' }
}

t.test('every notification type is written in both languages, every placeholder filled', async (t) => {
  for (const type of Object.keys(samples) as NotificationType[]) {
    const out = Object.fromEntries(languages.map((lang) => [lang, render(config, lang, type, samples[type] as never, { name: 'Uma User', email: 'uma@example.com' })]))
    for (const lang of languages) {
      const r = out[lang]!
      const texts = [r.mail?.subject, r.mail?.text, r.mail?.html, r.text].filter((x) => x !== undefined)
      t.ok(texts.length > 0, `${type}: written in ${lang}`)
      for (const text of texts) t.notMatch(text, /\{\w+\}/, `${type} (${lang}): no placeholder left`)
      if (r.mail !== undefined) t.same(r.mail.headers, { 'Auto-Submitted': 'auto-generated' })
    }
    t.not(JSON.stringify(out.ru), JSON.stringify(out.en), `${type}: the Russian text is its own`)
    if (out.ru!.mail !== undefined) t.match(out.ru!.mail.subject + out.ru!.mail.text, /[а-яё]/i, `${type}: Russian mail`)
  }
  const reset = render(config, 'ru', 'password_reset', samples.password_reset, { name: 'Иван', email: 'ivan@example.com' }).mail!
  t.equal(reset.subject, 'Установка нового пароля')
  t.match(reset.html, '<a href="http://panel.test/password/reset/TOKEN">http://panel.test/password/reset/TOKEN</a>', 'the link is the HTML part\'s anchor')
  t.throws(() => render(config, 'en', 'password_reset', { link: 'http://evil.test/x' }, {}), /PUBLIC_URL/, 'a link from anywhere else is a bug')
})

t.test('a new sign-in names the browser as the sessions page does, or says it is unknown; the browser is typed text', async (t) => {
  const en = render(config, 'en', 'new_sign_in', samples.new_sign_in, { name: 'Uma', email: 'uma@example.com', timeZone: 'Europe/Berlin' }).mail!
  t.match(en.text, 'on Nov 25, 2026, 7:07 AM GMT+1 (Europe/Berlin) from the IP address 198.51.100.9')
  t.match(en.text, 'Browser: Firefox 140 · Linux.')
  t.match(en.text, 'If this was not you, set a new password at once (it signs every other session out): http://panel.test/password/forgot')
  t.match(render(config, 'ru', 'new_sign_in', { ...samples.new_sign_in, browser: null }, {}).mail!.text, 'Браузер: Неизвестный браузер.')
  t.match(render(config, 'en', 'new_sign_in', { ...samples.new_sign_in, browser: 'Evil http://evil.test' }, {}).mail!.text, 'Browser: Evil http[:]//evil[.]test.')
  t.notMatch(render(config, 'en', 'totp_reset', samples.totp_reset, {}).mail!.text, 'IP address', 'a provider\'s reset names no IP: it was not the user\'s act')
})

t.test('a time in a mail is in the recipient\'s zone and language, the zone named; UTC for an address with no user', async (t) => {
  const at = samples.password_changed
  t.match(render(config, 'en', 'password_changed', at, {}).mail!.text, 'on Nov 25, 2026, 6:07 AM GMT+0 (UTC) from')
  t.match(render(config, 'ru', 'password_changed', at, { timeZone: 'Europe/Berlin' }).mail!.text, 'изменён 25 нояб. 2026 г., 07:07 GMT+1 (Europe/Berlin) с')
  const summer = render(config, 'en', 'password_changed', { at: new Date('2026-07-01T12:00:00Z'), ip: at.ip }, { timeZone: 'Europe/Berlin' }).mail!
  t.match(summer.text, 'on Jul 1, 2026, 2:00 PM GMT+2 (Europe/Berlin) from', 'the offset of that instant: CEST')
  t.match(summer.html, 'Jul 1, 2026, 2:00 PM GMT+2 (Europe/Berlin)')
})

t.test('a typed name is neither a link nor markup in the subject, text or HTML', async (t) => {
  const mail = render(config, 'en', 'invite', { inviter: '=HYPERLINK("http://evil.test")', link: 'http://panel.test/password/reset/TOKEN' }, { name: 'visit www.evil.test now <b>' }).mail!
  for (const part of [mail.subject, mail.text, mail.html!]) {
    t.notMatch(part, 'evil.test', 'no host a client would link')
    t.notMatch(part, 'http://evil', 'no URL a client would link')
  }
  t.match(mail.text, 'Hello, visit www[.]evil[.]test now <b>.')
  t.match(mail.subject, '=HYPERLINK("http[:]//evil[.]test") invited you')
  t.match(mail.html, 'visit www[.]evil[.]test now &lt;b&gt;', 'escaped in HTML')
  t.same([...mail.html!.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), ['http://panel.test/password/reset/TOKEN'], 'our link is the only anchor')
})

t.test('last_error is short and carries no URL credentials', async (t) => {
  const err = Object.assign(new Error('connect ECONNREFUSED smtp://user:secret@127.0.0.1:25\nsecond line'), { code: 'ECONNREFUSED' })
  t.equal(describeError(err), 'ECONNREFUSED: connect ECONNREFUSED smtp://[redacted]@127.0.0.1:25')
  t.ok(describeError(new Error('x'.repeat(500))).length <= 200)
})

t.test('the mail sender passes headers, the HTML part and attachments to SMTP, and refuses addressing headers', async (t) => {
  const smtp = await TestSmtp.started(t)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-mail-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const send = createMailSender({ smtpUrl: smtp.url, mailFrom: 'panel@provider.test', dataDir, appName: 'Panel' })
  await send({
    to: 'reader@example.com',
    subject: 'Your export',
    text: 'Attached.',
    html: '<p>Attached.</p>',
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Panel-Type': 'export' },
    attachments: [
      { filename: 'export.csv', contentType: 'text/csv', content: '"a","b"\n"1","2"\n' },
      { filename: 'dot.png', contentType: 'image/png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'), encoding: 'base64' }
    ]
  })
  const mail = await smtp.waitFor('reader@example.com')
  t.equal(mail.headers.get('auto-submitted'), 'auto-generated')
  t.equal(mail.headers.get('x-panel-type'), 'export')
  t.equal(mail.text?.trim(), 'Attached.')
  t.equal(mail.html, '<p>Attached.</p>')
  t.same(mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString('base64')]), [
    ['export.csv', 'text/csv', Buffer.from('"a","b"\n"1","2"\n').toString('base64')],
    ['dot.png', 'image/png', 'iVBORw==']
  ])
  await t.rejects(send({ to: 'reader@example.com', subject: 's', text: 't', headers: { Bcc: 'someone@evil.test' } }), /may not be set/)
  await t.rejects(send({ to: 'reader@example.com', subject: 's', text: 't', headers: { 'X-A': 'one\r\nBcc: someone@evil.test' } }), /line break/)
  t.equal(smtp.messages.length, 1, 'a refused message is not sent')
})
