// Telegram (SPEC §4.6) against a Bot API stand-in on loopback: the page's
// one-time code, the bot's webhook driven with real Update JSON, the answers
// in the chat through the durable queue, and what the Bot API's refusals do
// (403: the chat is unlinked and the message given up; 429: retry_after).
import { sql } from 'kysely'
import t from 'tap'
import { telegram } from '../../src/features/telegram/index.ts'
import { type Agent, createOwner, createUser, signIn, startTestApp, type TestApp } from '../helpers/app.ts'
import { TestBotApi, textUpdate } from '../helpers/telegram-api.ts'
import { eventually } from '../helpers/wait.ts'

const bot = new TestBotApi()
await bot.start()
t.teardown(() => bot.stop())
const SECRET = 'webhook-secret_0123456789'
const TOKEN = '123456:TEST-token'
const ta = await startTestApp(t, {
  env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_BOT_USERNAME: 'panel_test_bot', TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_URL: bot.url }
})
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const PAGE = `${base}client/settings/telegram`

async function webhook (body: unknown, secret: string | null = SECRET, target: TestApp = ta) {
  return await target.app.inject({
    method: 'POST',
    url: `${target.base}telegram/webhook`,
    headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }) },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

/** Presses Link and returns the code and the page. */
async function linkCode (a: Agent): Promise<{ code: string, body: string }> {
  await a.get(PAGE)
  const res = await a.post(`${PAGE}/link`, {})
  if (res.statusCode !== 200) throw new Error(`Link answered ${res.statusCode}`)
  const m = /<code id="telegram-code">\/start ([A-Za-z0-9_-]+)<\/code>/.exec(res.body)
  if (m === null) throw new Error(`no code on the page: ${res.body}`)
  return { code: m[1]!, body: res.body }
}

const linkOf = async (userId: string) => await db.selectFrom('telegram_links').selectAll().where('user_id', '=', userId).executeTakeFirst()
const events = async (userId: string, type: string) => (await db.selectFrom('audit_log').select('id').where('target_user_id', '=', userId).where('action', '=', type).execute()).length

let nextChat = 5000
let nextUser = 0
async function newUser (language = 'en') {
  const u = await createUser(ta, owner.accountId, `tg${++nextUser}@example.com`)
  await db.updateTable('users').set({ language }).where('id', '=', u.userId).execute()
  return { ...u, agent: await signIn(ta, u.email, u.password) }
}
async function linked (language = 'en', username = 'someone') {
  const u = await newUser(language)
  const chat = ++nextChat
  const { code } = await linkCode(u.agent)
  await webhook(textUpdate(chat, `/start ${code}`, { username }))
  await bot.waitFor(chat)
  return { ...u, chat }
}

t.test('link end to end: the deep link and code, the webhook links the chat, the answer is in the user\'s language', async (t) => {
  const u = await newUser('ru')
  const page = await u.agent.get(PAGE)
  t.match(page.body, /action="[^"]*client\/settings\/telegram\/link"/, 'not linked: a Link button')
  const { code, body } = await linkCode(u.agent)
  t.ok(code.length >= 22 && code.length <= 64, 'a code fit for the start parameter')
  t.match(body, `href="https://t.me/panel_test_bot?start=${code}"`, 'the deep link')
  t.match(body, /10 минут/, 'valid for 10 minutes (in Russian)')
  t.match(body, `href="${PAGE}"`, 'a link back to check')
  const stored = await db.selectFrom('tokens').select(['id', 'expires_at', 'created_at']).where('user_id', '=', u.userId).where('purpose', '=', 'telegram-link').execute()
  t.equal(stored.length, 1, 'one code')
  t.not(stored[0]!.id, code, 'stored hashed')
  t.equal(new Date(stored[0]!.expires_at).getTime() - new Date(stored[0]!.created_at).getTime(), 600_000, '10 minutes')

  const chat = ++nextChat
  const res = await webhook(textUpdate(chat, `/start ${code}`, { username: 'uma_tg', language_code: 'en' }))
  t.equal(res.statusCode, 200)
  const link = await linkOf(u.userId)
  t.equal(String(link?.chat_id), String(chat), 'the chat is linked')
  t.equal(link?.username, 'uma_tg')
  const reply = await bot.waitFor(chat)
  t.equal(reply.token, TOKEN, 'sent with the bot\'s token')
  t.match(reply.text, `Этот чат привязан к`, 'in the user\'s language (ru), not the chat\'s')
  t.match(reply.text, u.email, 'names the email')
  t.equal(await events(u.userId, 'telegram.linked'), 1, 'audited')

  const after = await u.agent.get(PAGE)
  t.match(after.body, '@uma_tg', 'the page shows the Telegram username')
  t.match(after.body, /name="support"/, 'the support checkbox')
  t.match(after.body, 'client/settings/telegram/unlink', 'Unlink')
  const settings = await u.agent.get(`${base}client/settings`)
  t.match(settings.body, /Telegram <span class="status status-ok">/, 'the settings block shows it on')

  // A new link from another chat replaces the first.
  const second = await linkCode(u.agent)
  const chat2 = ++nextChat
  await webhook(textUpdate(chat2, `/start ${second.code}`))
  t.equal(String((await linkOf(u.userId))?.chat_id), String(chat2), 'the user\'s previous chat is replaced')
})

t.test('a code used, expired, replaced or unknown links nothing; the answer follows the chat\'s language', async (t) => {
  const u = await newUser()
  const { code } = await linkCode(u.agent)
  const chat = ++nextChat
  await webhook(textUpdate(chat, `/start ${code}`))
  await bot.waitFor(chat)
  // Reused from another chat.
  const other = ++nextChat
  await webhook(textUpdate(other, `/start ${code}`, { language_code: 'ru' }))
  t.match((await bot.waitFor(other)).text, 'Код неверный', 'a used code: told so, in the chat\'s language (ru)')
  t.equal(String((await linkOf(u.userId))?.chat_id), String(chat), 'the link stays')

  // Expired.
  const v = await newUser()
  const late = await linkCode(v.agent)
  clock.advance(601)
  const lateChat = ++nextChat
  await webhook(textUpdate(lateChat, `/start ${late.code}`, { language_code: 'de' }))
  t.match((await bot.waitFor(lateChat)).text, 'This code is wrong, expired or already used', 'expired: told so, in English for a language other than ru')
  t.equal(await linkOf(v.userId), undefined, 'nothing linked')

  // Replaced by a newer Link.
  const old = await linkCode(v.agent)
  const fresh = await linkCode(v.agent)
  const oldChat = ++nextChat
  await webhook(textUpdate(oldChat, `/start ${old.code}`))
  await bot.waitFor(oldChat)
  t.equal(await linkOf(v.userId), undefined, 'the replaced code links nothing')
  await webhook(textUpdate(oldChat, `/start ${fresh.code}`))
  await bot.waitFor(oldChat, 2)
  t.ok(await linkOf(v.userId), 'the newest code links')

  // Unknown and missing codes.
  const stray = ++nextChat
  await webhook(textUpdate(stray, '/start not-a-code'))
  await webhook(textUpdate(stray, '/start'))
  await bot.waitFor(stray, 2)
  t.equal((await db.selectFrom('telegram_links').select('user_id').where('chat_id', '=', String(stray)).execute()).length, 0)
})

t.test('parallel Link presses leave exactly one live code', async (t) => {
  const u = await newUser()
  await u.agent.get(PAGE)
  const answers = await Promise.all(Array.from({ length: 6 }, async () => await u.agent.post(`${PAGE}/link`, {})))
  t.same(answers.map((r) => r.statusCode), answers.map(() => 200))
  const live = await db.selectFrom('tokens').select('id').where('user_id', '=', u.userId).where('purpose', '=', 'telegram-link').where('used_at', 'is', null).execute()
  t.equal(live.length, 1, 'one live code')
  const codes = answers.map((r) => /\/start ([A-Za-z0-9_-]+)<\/code>/.exec(r.body)![1]!)
  const chat = ++nextChat
  for (const code of codes) await webhook(textUpdate(chat, `/start ${code}`))
  t.ok(await linkOf(u.userId), 'the live one links')
  t.equal(await events(u.userId, 'telegram.linked'), 1, 'and only that one')
})

t.test('a code sent from a chat linked to another user is refused; that link stays', async (t) => {
  const a = await linked()
  const b = await newUser()
  const { code } = await linkCode(b.agent)
  await webhook(textUpdate(a.chat, `/start ${code}`))
  t.match((await bot.waitFor(a.chat, 2)).text, 'already linked to another user')
  t.equal(String((await linkOf(a.userId))?.chat_id), String(a.chat), 'the other link stays')
  t.equal(await linkOf(b.userId), undefined, 'nothing linked to the code\'s user')
  t.equal(await events(b.userId, 'telegram.link_refused'), 1, 'audited')
})

t.test('parallel webhooks with the same code: exactly one links', async (t) => {
  const u = await newUser()
  const { code } = await linkCode(u.agent)
  const chats = Array.from({ length: 8 }, () => ++nextChat)
  const answers = await Promise.all(chats.map(async (c) => await webhook(textUpdate(c, `/start ${code}`))))
  t.same(answers.map((r) => r.statusCode), chats.map(() => 200))
  const rows = await db.selectFrom('telegram_links').select('chat_id').where('chat_id', 'in', chats.map(String)).execute()
  t.equal(rows.length, 1, 'one chat linked')
  t.equal(await events(u.userId, 'telegram.linked'), 1, 'one link event')
  for (const c of chats) await bot.waitFor(c)
  t.equal(bot.sent.filter((m) => chats.includes(Number(m.chatId)) && /^Linked to/.test(m.text)).length, 1, 'one "linked" answer, the others told the code is used')
})

t.test('parallel webhooks from one chat with two users\' codes: one links, the other is refused', async (t) => {
  const [a, b] = [await newUser(), await newUser()]
  const codes = [(await linkCode(a.agent)).code, (await linkCode(b.agent)).code]
  const chat = ++nextChat
  const answers = await Promise.all(codes.map(async (code) => await webhook(textUpdate(chat, `/start ${code}`))))
  t.same(answers.map((r) => r.statusCode), [200, 200])
  const rows = await db.selectFrom('telegram_links').select('user_id').where('chat_id', '=', String(chat)).execute()
  t.equal(rows.length, 1, 'the chat is linked to one of them')
  t.equal((await linkOf(a.userId) === undefined ? 0 : 1) + (await linkOf(b.userId) === undefined ? 0 : 1), 1, 'exactly one user linked')
  await bot.waitFor(chat, 2)
  t.equal(bot.sent.filter((m) => m.chatId === String(chat) && /already linked to another user/.test(m.text)).length, 1, 'the other told so')
})

t.test('a wrong or missing secret: 401 and nothing changed; a body that is not an update: 200 and ignored', async (t) => {
  const u = await newUser()
  const { code } = await linkCode(u.agent)
  const chat = ++nextChat
  for (const secret of [null, 'wrong', SECRET + 'x', SECRET.slice(0, -1), '']) {
    const res = await webhook(textUpdate(chat, `/start ${code}`), secret)
    t.equal(res.statusCode, 401, `secret ${JSON.stringify(secret)}: 401`)
  }
  t.equal(await linkOf(u.userId), undefined, 'nothing linked')
  const used = await db.selectFrom('tokens').select('used_at').where('user_id', '=', u.userId).where('purpose', '=', 'telegram-link').executeTakeFirstOrThrow()
  t.equal(used.used_at, null, 'the code is not used up')

  for (const body of ['{"hello": "world"}', '[1,2,3]', 'not json at all', '{"update_id": 1}', '{"update_id": 2, "edited_message": {"text": "/stop"}}',
    JSON.stringify({ ...textUpdate(chat, `/start ${code}`), message: { ...(textUpdate(chat, `/start ${code}`).message as object), chat: { id: -100, type: 'group' } } })]) {
    const res = await webhook(body)
    t.equal(res.statusCode, 200, `${body.slice(0, 40)}: 200`)
  }
  t.equal(await linkOf(u.userId), undefined, 'a group chat links nothing')
  const res = await webhook(textUpdate(chat, `/start ${code}`))
  t.equal(res.statusCode, 200)
  t.ok(await linkOf(u.userId), 'the code still links with the right secret')
})

t.test('/stop from the chat unlinks it', async (t) => {
  const u = await linked()
  await webhook(textUpdate(u.chat, '/stop'))
  t.equal(await linkOf(u.userId), undefined, 'unlinked')
  t.match((await bot.waitFor(u.chat, 2)).text, 'no longer linked')
  t.equal(await events(u.userId, 'telegram.stopped'), 1, 'audited')
})

t.test('the Bot API answers 403 "bot was blocked by the user": the chat is unlinked, the delivery failed, no retry', async (t) => {
  const u = await newUser()
  const chat = ++nextChat
  bot.answers.set(String(chat), { status: 403, description: 'Forbidden: bot was blocked by the user' })
  const { code } = await linkCode(u.agent)
  await webhook(textUpdate(chat, `/start ${code}`))
  const row = await eventually('the delivery given up', async () => {
    const r = await db.selectFrom('deliveries').selectAll().where('user_id', '=', u.userId).where('channel', '=', 'telegram').executeTakeFirst()
    return r?.status === 'failed' ? r : undefined
  })
  t.equal(row.attempts, 1, 'tried once')
  t.match(row.last_error, /403: Forbidden: bot was blocked by the user/, 'last_error says why')
  t.equal(row.payload, null, 'no message kept')
  t.equal(await linkOf(u.userId), undefined, 'the chat is unlinked')
  t.equal(await events(u.userId, 'telegram.chat_lost'), 1, 'audited')
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'telegram' and data->>'id' = ${row.id} and state in ('created', 'retry')`.execute(db)
  t.equal(rows[0]!.n, 0, 'no try queued')
  t.equal(bot.refused.filter((m) => m.chatId === String(chat)).length, 1, 'the Bot API was asked once')
  bot.answers.delete(String(chat))
})

t.test('a 400 "chat not found" unlinks too; a 429 with retry_after waits that long instead of the backoff', async (t) => {
  const u = await linked()
  bot.answers.set(String(u.chat), { status: 400, description: 'Bad Request: chat not found' })
  await webhook(textUpdate(u.chat, '/stop'))
  t.equal(await linkOf(u.userId), undefined, '/stop unlinked it')
  const lost = await eventually('the answer to /stop given up', async () => {
    const r = await db.selectFrom('deliveries').selectAll().where('user_id', '=', u.userId).where('channel', '=', 'telegram').orderBy('id', 'desc').executeTakeFirst()
    return r?.status === 'failed' ? r : undefined
  })
  t.match(lost, { attempts: 1, last_error: /400: Bad Request: chat not found/ }, 'chat not found: failed after one try')
  bot.answers.delete(String(u.chat))

  const v = await newUser()
  const chat = ++nextChat
  bot.answers.set(String(chat), { status: 429, description: 'Too Many Requests: retry after 7', retryAfter: 7 })
  const { code } = await linkCode(v.agent)
  await webhook(textUpdate(chat, `/start ${code}`))
  const row = await eventually('a try refused with 429', async () => {
    const r = await db.selectFrom('deliveries').selectAll().where('user_id', '=', v.userId).where('channel', '=', 'telegram').executeTakeFirst()
    return r !== undefined && r.attempts === 1 ? r : undefined
  })
  t.equal(row.status, 'queued', 'still queued')
  t.equal((new Date(row.next_attempt_at).getTime() - new Date(row.last_attempt_at!).getTime()) / 1000, 7, 'the next try after retry_after seconds')
  t.ok(await linkOf(v.userId), 'the link stays')
  bot.answers.delete(String(chat))
  await sql`update pgboss.job set start_after = now() where name = 'telegram' and state = 'created' and data->>'id' = ${row.id}`.execute(db)
  t.match((await bot.waitFor(chat)).text, 'Linked to', 'sent on the next try')
  await eventually('sent', async () => (await db.selectFrom('deliveries').select('status').where('id', '=', row.id).executeTakeFirst())?.status === 'sent' ? true : undefined)
})

t.test('the support switch is saved and audited', async (t) => {
  const u = await linked()
  await u.agent.get(PAGE)
  const on = await u.agent.post(`${PAGE}/support`, { support: '1' })
  t.equal(on.statusCode, 303)
  t.equal((await linkOf(u.userId))?.support, true)
  t.match((await u.agent.get(PAGE)).body, /name="support" value="1" checked/)
  const off = await u.agent.post(`${PAGE}/support`, {})
  t.equal(off.statusCode, 303)
  t.equal((await linkOf(u.userId))?.support, false)
  t.equal(await events(u.userId, 'telegram.support_enabled'), 1)
  t.equal(await events(u.userId, 'telegram.support_disabled'), 1)
})

t.test('Unlink goes through a confirmation page; a forged post is refused', async (t) => {
  const u = await linked()
  const page = await u.agent.get(PAGE)
  t.notMatch(page.body, /action="[^"]*telegram\/unlink"/, 'no unlink form on the page itself: a link to the confirmation')
  const ask = await u.agent.get(`${PAGE}/unlink`)
  t.equal(ask.statusCode, 200)
  t.match(ask.body, /action="[^"]*client\/settings\/telegram\/unlink"/, 'the confirmation form')

  const attacker = await signIn(ta, owner.email, owner.password)
  await attacker.get(PAGE)
  const forged = await u.agent.post(`${PAGE}/unlink`, { _csrf: attacker.lastCsrf! })
  t.equal(forged.statusCode, 403, 'the attacker\'s own token: refused')
  const missing = await u.agent.post(`${PAGE}/unlink`, { _csrf: null })
  t.equal(missing.statusCode, 403, 'no token: refused')
  t.ok(await linkOf(u.userId), 'still linked')

  await u.agent.get(`${PAGE}/unlink`)
  const done = await u.agent.post(`${PAGE}/unlink`, {})
  t.equal(done.statusCode, 303)
  t.equal(await linkOf(u.userId), undefined, 'unlinked')
  t.equal(await events(u.userId, 'telegram.unlinked'), 1, 'audited')
  t.match((await bot.waitFor(u.chat, 2)).text, 'no longer linked', 'the chat is told')
  const again = await u.agent.get(`${PAGE}/unlink`)
  t.equal(again.statusCode, 303, 'nothing to unlink: back to the page')
})

t.test('while the user\'s personal data is restricted, Link and the support switch are refused', async (t) => {
  const u = await linked()
  await db.updateTable('users').set({ restricted: true }).where('id', '=', u.userId).execute()
  await u.agent.get(PAGE)
  const support = await u.agent.post(`${PAGE}/support`, { support: '1' })
  t.equal(support.statusCode, 303)
  t.equal((await linkOf(u.userId))?.support, false, 'the switch is not changed')
  const link = await u.agent.post(`${PAGE}/link`, {})
  t.equal(link.statusCode, 303, 'Link is refused')
  t.equal((await db.selectFrom('tokens').select('id').where('user_id', '=', u.userId).where('purpose', '=', 'telegram-link').where('used_at', 'is', null).execute()).length, 0, 'no code made')
  t.match((await u.agent.get(PAGE)).body, 'Your personal data is restricted', 'the page says why')
})

t.test('personal data: the export section and the erase step', async (t) => {
  const u = await linked('en', 'exported_name')
  const section = telegram.personalData!.export![0]!
  t.equal(section.name, 'telegram')
  const rows: Record<string, unknown>[] = []
  for await (const r of section.query(db, { id: u.userId, accountId: owner.accountId }).stream()) rows.push(r)
  t.same(Object.keys(rows[0]!), ['username', 'linked_at', 'support'], 'no chat id')
  t.equal(rows[0]!.username, 'exported_name')
  await linkCode(u.agent)
  await db.transaction().execute(async (trx) => { await telegram.personalData!.erase!(trx, { id: u.userId, accountId: owner.accountId, email: u.email, fullName: 'x', phone: null }) })
  t.equal(await linkOf(u.userId), undefined, 'the link is erased')
  t.equal((await db.selectFrom('tokens').select('id').where('user_id', '=', u.userId).where('purpose', '=', 'telegram-link').execute()).length, 0, 'and the codes')
})

t.test('without a token the block says the provider has not set up Telegram; the webhook is off', async (t) => {
  const bare = await startTestApp(t, { env: { TELEGRAM_WEBHOOK_SECRET: SECRET } })
  const o = await createOwner(bare)
  const a = await signIn(bare, o.email, o.password)
  const page = await a.get(`${bare.base}client/settings/telegram`)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'The provider has not set up Telegram yet.')
  t.notMatch(page.body, /telegram\/link"/, 'no Link button')
  const settings = await a.get(`${bare.base}client/settings`)
  t.match(settings.body, 'The provider has not set up Telegram yet.', 'the settings block says so')
  const link = await a.post(`${bare.base}client/settings/telegram/link`, {})
  t.equal(link.statusCode, 404)
  t.equal((await webhook(textUpdate(1, '/stop'), SECRET, bare)).statusCode, 404, 'the webhook is off')
  const noSecret = await startTestApp(t, { env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_BOT_USERNAME: 'panel_test_bot', TELEGRAM_API_URL: bot.url } })
  t.equal((await webhook(textUpdate(1, '/stop'), SECRET, noSecret)).statusCode, 404, 'without a secret the webhook is off too')
  t.equal((await webhook(textUpdate(1, '/stop'), null, noSecret)).statusCode, 404)
})
