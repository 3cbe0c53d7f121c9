import t from 'tap'
import { useCode } from '../../src/features/phone/codes.ts'
import { createOwner, createUser, fieldError, flashOf, signIn, startTestApp } from '../helpers/app.ts'
import { TestSmsGateway } from '../helpers/sms-gateway.ts'
import { deliveryFailed } from '../helpers/wait.ts'

const gateway = new TestSmsGateway()
await gateway.start()
t.teardown(() => gateway.stop())
const ta = await startTestApp(t, { env: { SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_TOKEN: 'gateway-secret', PHONE_DEFAULT_REGION: 'RU' } })
const { app, base, clock } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const P = `${base}client/profile`
// Every phone form is re-confirmed (operation "phone" on oneself): the first
// post of a session is prompted and confirmed with the password; the next ones
// within CONFIRM_SECONDS of it are not prompted (postStillConfirmed).

let n = 0
async function freshUser () {
  n++
  const u = await createUser(ta, owner.accountId, `phone${n}@example.com`)
  return { ...u, a: await signIn(ta, u.email, u.password) }
}
const phoneOf = async (userId: string) => await db.selectFrom('users').select(['phone', 'phone_verified']).where('id', '=', userId).executeTakeFirstOrThrow()

t.test('save, verify with the SMS code, and the statuses', async (t) => {
  const { a, userId, password } = await freshUser()
  const saved = await a.postConfirmed(`${P}/phone`, { phone: '8 (912) 345-67-01', verified: '1', phone_verified: 'true' }, password)
  t.equal(saved.statusCode, 303)
  t.same(await phoneOf(userId), { phone: '+79123456701', phone_verified: false }, 'stored in E.164, verified=1 ignored')
  const page = await a.get(P)
  t.match(flashOf(page.body), 'Verify it with a code')
  t.match(page.body, 'Not verified')
  t.notMatch(page.body, 'name="code"', 'no code field before a code is sent')

  const sent = await a.postStillConfirmed(`${P}/phone/verification`, {})
  t.equal(sent.statusCode, 303)
  const after = await a.get(P)
  t.match(flashOf(after.body), 'A code is on its way to +7 912 345 67 01')
  t.match(after.body, '<label for="f-code">Verification code</label>')
  const sms = await gateway.waitFor('+79123456701')
  t.equal(sms.authorization, 'Bearer gateway-secret')
  t.match(sms.text, /\b\d{6}\b/)
  const code = await gateway.codeFor('+79123456701')

  const wrong = await a.postStillConfirmed(`${P}/phone/verification/check`, { code: code === '000000' ? '111111' : '000000' })
  t.equal(wrong.statusCode, 422)
  t.equal(fieldError(wrong.body, 'code'), 'Wrong code. Check the SMS and try again.')
  for (const bad of ['', '12345', '1234567', 'abcdef']) {
    // Not a code at all: answered before the confirmation and the code are looked at (no try counted, nothing audited).
    const res = await a.postInvalid(`${P}/phone/verification/check`, { code: bad })
    t.equal(res.statusCode, 422, `"${bad}"`)
    t.equal(fieldError(res.body, 'code'), 'Enter the 6-digit code from the SMS.')
  }
  const ok = await a.postStillConfirmed(`${P}/phone/verification/check`, { code: ` ${code.slice(0, 3)} ${code.slice(3)} ` })
  t.equal(ok.statusCode, 303)
  t.same(await phoneOf(userId), { phone: '+79123456701', phone_verified: true })
  const done = await a.get(P)
  t.match(flashOf(done.body), 'The phone number has been verified.')
  t.match(done.body, 'Verified successfully')
  t.match(done.body, 'support to remove it', 'says what to do when the number is out of reach')

  const replay = await a.postStillConfirmed(`${P}/phone/verification/check`, { code })
  t.equal(replay.statusCode, 422, 'the code cannot be used again')
  const audit = await db.selectFrom('audit_log').select('action').where('actor_user_id', '=', userId).orderBy('id').execute()
  t.same(audit.map((r) => r.action).filter((x) => x.startsWith('phone.')), ['phone.set', 'phone.code_sent', 'phone.code_failed', 'phone.verified'])
  const jobs = await db.selectFrom('pgboss.job' as any).select('data' as any).where('name' as any, '=', 'sms').execute() as Array<{ data: unknown }>
  t.ok(jobs.length > 0)
  t.notOk(jobs.some((j) => JSON.stringify(j.data).includes(code)), 'the queue never holds the code in clear')
})

t.test('bad numbers and repeated fields change nothing', async (t) => {
  const { a, userId, password } = await freshUser()
  for (const bad of ['12', 'not a phone', '+1 555', '+7 912 345 67 01 ext 5<script>', '']) {
    // The number is checked before the prompt: postInvalid fails when the prompt comes instead.
    const res = await a.postInvalid(`${P}/phone`, { phone: bad })
    t.equal(res.statusCode, 422, bad)
    t.ok(fieldError(res.body, 'phone'), 'a message beside the field')
  }
  const kept = await a.postInvalid(`${P}/phone`, { phone: 'not a phone' })
  t.match(kept.body, 'value="not a phone"', 'the value is kept')
  const twice = await a.postInvalid(`${P}/phone`, { phone: ['+79123456702', '+79123456703'] })
  t.equal(twice.statusCode, 422)
  t.equal(fieldError(twice.body, 'phone'), 'This field was sent more than once.')
  t.same(await phoneOf(userId), { phone: null, phone_verified: false })
  // The same number, valid: the prompt, and once confirmed the number is saved with the note.
  const saved = await a.postConfirmed(`${P}/phone`, { phone: '+79123456702' }, password)
  t.equal(saved.statusCode, 303)
  const page = (await a.get(P)).body
  t.match(flashOf(page), 'Verify it with a code')
  t.match(page, 'for the next 5 minutes this operation will not ask for it again', 'and that the next phone steps will not ask again')
})

t.test('a code is bound to the number it was sent to', async (t) => {
  const { a, userId, password } = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456704' }, password)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  const code = await gateway.codeFor('+79123456704')
  await a.postStillConfirmed(`${P}/phone`, { phone: '+79123456705' })
  const res = await a.postStillConfirmed(`${P}/phone/verification/check`, { code })
  t.equal(res.statusCode, 422)
  t.same(await phoneOf(userId), { phone: '+79123456705', phone_verified: false })
})

t.test('a code is bound to its purpose and its user', async (t) => {
  const { a, userId, password } = await freshUser()
  const other = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456706' }, password)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  const code = await gateway.codeFor('+79123456706')
  const deps = app.deps
  t.same(await db.transaction().execute((trx) => useCode(deps, trx, userId, 'phone_change', '+79123456706', code)), { ok: false, reason: 'no_code' }, 'not for Edit')
  t.same(await db.transaction().execute((trx) => useCode(deps, trx, other.userId, 'phone_verify', '+79123456706', code)), { ok: false, reason: 'no_code' }, 'not for another user')
  t.equal((await a.postStillConfirmed(`${P}/phone/edit/check`, { code })).statusCode, 422, 'the Edit step refuses it')
  t.equal((await a.postStillConfirmed(`${P}/phone/verification/check`, { code })).statusCode, 303, 'and it still works for what it was sent for')
})

t.test('two requests with one code: exactly one succeeds', async (t) => {
  const { a, userId, password } = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456707' }, password)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  const code = await gateway.codeFor('+79123456707')
  const deps = app.deps
  const results = await Promise.all([1, 2, 3].map(() => db.transaction().execute((trx) => useCode(deps, trx, userId, 'phone_verify', '+79123456707', code))))
  t.equal(results.filter((r) => r.ok).length, 1)
  // And through the page: a fresh code, two posts at once.
  clock.advance(61)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  const code2 = await gateway.codeFor('+79123456707', 2)
  await db.updateTable('users').set({ phone_verified: false }).where('id', '=', userId).execute()
  const posts = await Promise.all([a.postStillConfirmed(`${P}/phone/verification/check`, { code: code2 }), a.postStillConfirmed(`${P}/phone/verification/check`, { code: code2 })])
  t.same(posts.map((r) => r.statusCode).sort(), [303, 422])
})

t.test('five wrong tries burn the code; an expired code is refused', async (t) => {
  const { a, userId, password } = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456708' }, password)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  const code = await gateway.codeFor('+79123456708')
  const wrongCode = code === '999999' ? '999998' : '999999'
  for (let i = 0; i < 4; i++) t.equal(fieldError((await a.postStillConfirmed(`${P}/phone/verification/check`, { code: wrongCode })).body, 'code'), 'Wrong code. Check the SMS and try again.')
  t.equal(fieldError((await a.postStillConfirmed(`${P}/phone/verification/check`, { code: wrongCode })).body, 'code'), 'Too many wrong codes. Ask for a new one.')
  t.equal((await a.postStillConfirmed(`${P}/phone/verification/check`, { code })).statusCode, 422, 'even the right code is refused now')
  t.equal((await phoneOf(userId)).phone_verified, false)

  clock.advance(61)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  const fresh = await gateway.codeFor('+79123456708', 2)
  clock.advance(301)
  // 362 s after the confirmation: prompted again; the code typed in the form is typed again on the prompt.
  const late = await a.postConfirmed(`${P}/phone/verification/check`, { code: fresh }, password)
  t.equal(fieldError(late.body, 'code'), 'This code has expired. Ask for a new one.')
  t.equal((await phoneOf(userId)).phone_verified, false)
})

t.test('resend limits: once a minute, five an hour, per user and per number', async (t) => {
  const { a, password } = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456709' }, password)
  t.equal((await a.postStillConfirmed(`${P}/phone/verification`, {})).statusCode, 303)
  const soon = await a.postStillConfirmed(`${P}/phone/verification`, {})
  t.equal(soon.statusCode, 422)
  t.equal(fieldError(soon.body, 'code'), 'A code was sent less than a minute ago. Wait a minute before asking for another.')
  for (let i = 2; i <= 5; i++) {
    clock.advance(61)
    t.equal((await a.postStillConfirmed(`${P}/phone/verification`, {})).statusCode, 303, `send ${i}`)
  }
  clock.advance(61)
  // 305 s after the confirmation: prompted again.
  const many = await a.postConfirmed(`${P}/phone/verification`, {}, password)
  t.equal(many.statusCode, 422)
  t.equal(fieldError(many.body, 'code'), 'Too many codes were sent in the last hour. Try again later.')
  t.equal(gateway.received.filter((m) => m.to === '+79123456709').length >= 0, true)

  // Per number: another user cannot flood the same number either.
  const b = await freshUser()
  await b.a.postConfirmed(`${P}/phone`, { phone: '+79123456709' }, b.password)
  t.equal((await b.a.postStillConfirmed(`${P}/phone/verification`, {})).statusCode, 422, 'the number has had its five this hour')
  clock.advance(3600)
  const again = await signIn(ta, b.email, b.password) // the old session has idled out meanwhile
  t.equal((await again.postConfirmed(`${P}/phone/verification`, {}, b.password)).statusCode, 303, 'an hour later it may (a new session: prompted)')
})

t.test('Edit: the code goes to the old number, clears it, then the new one is verified', async (t) => {
  clock.advance(3600)
  const { a, userId, password } = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456710' }, password)
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  await a.postStillConfirmed(`${P}/phone/verification/check`, { code: await gateway.codeFor('+79123456710') })
  t.equal((await phoneOf(userId)).phone_verified, true)

  const skipped = await a.postStillConfirmed(`${P}/phone`, { phone: '+79123456711' })
  t.equal(skipped.statusCode, 422, 'a new number without the old-number step is refused')
  t.match(fieldError(skipped.body, 'phone'), 'press Edit')
  t.same(await phoneOf(userId), { phone: '+79123456710', phone_verified: true })

  // Right after Verify: the first Edit code is not a resend.
  const edit = await a.postStillConfirmed(`${P}/phone/edit`, {})
  t.equal(edit.statusCode, 303)
  t.match(flashOf((await a.get(P)).body), 'current number +7 912 345 67 10')
  const oldCode = await gateway.codeFor('+79123456710', 2)
  t.equal((await a.postStillConfirmed(`${P}/phone/verification/check`, { code: oldCode })).statusCode, 422, 'the Edit code does not verify')
  const cleared = await a.postStillConfirmed(`${P}/phone/edit/check`, { code: oldCode })
  t.equal(cleared.statusCode, 303)
  t.same(await phoneOf(userId), { phone: null, phone_verified: false })
  t.match(flashOf((await a.get(P)).body), 'Enter the new number')

  await a.postStillConfirmed(`${P}/phone`, { phone: '+79123456711' })
  await a.postStillConfirmed(`${P}/phone/verification`, {})
  await a.postStillConfirmed(`${P}/phone/verification/check`, { code: await gateway.codeFor('+79123456711') })
  t.same(await phoneOf(userId), { phone: '+79123456711', phone_verified: true })
})

t.test('with the gateway down the page says the code is on its way; it arrives when the gateway is back', async (t) => {
  const { a, userId, password } = await freshUser()
  await a.postConfirmed(`${P}/phone`, { phone: '+79123456712' }, password)
  await gateway.stop()
  const sent = await a.postStillConfirmed(`${P}/phone/verification`, {})
  t.equal(sent.statusCode, 303)
  t.match(flashOf((await a.get(P)).body), 'A code is on its way')
  await deliveryFailed(db, 'sms')
  t.equal(gateway.received.filter((m) => m.to === '+79123456712').length, 0, 'tried while the gateway was down, not delivered')
  await gateway.start()
  const code = await gateway.codeFor('+79123456712', 1)
  t.equal((await a.postStillConfirmed(`${P}/phone/verification/check`, { code })).statusCode, 303)
  t.equal((await phoneOf(userId)).phone_verified, true)
  t.equal(gateway.received.filter((m) => m.to === '+79123456712').length, 1, 'delivered once')
})

t.test('one user cannot pump codes to many numbers', async (t) => {
  clock.advance(3600)
  const { a, password } = await freshUser()
  for (let i = 0; i < 10; i++) {
    const form = { phone: `+7912345680${i}` }
    if (i === 0) await a.postConfirmed(`${P}/phone`, form, password)
    else await a.postStillConfirmed(`${P}/phone`, form)
    t.equal((await a.postStillConfirmed(`${P}/phone/verification`, {})).statusCode, 303, `number ${i}`)
  }
  await a.postStillConfirmed(`${P}/phone`, { phone: '+79123456810' })
  const refused = await a.postStillConfirmed(`${P}/phone/verification`, {})
  t.equal(refused.statusCode, 422)
  t.equal(fieldError(refused.body, 'code'), 'Too many codes were sent in the last hour. Try again later.')
})
