// Several instances behind one load balancer: two apps (buildApp twice) on
// the same database and DATA_DIR, with the same configuration. Whatever one
// starts the other finishes: a session, a login throttle (also under
// parallel attempts split between them), a re-confirmation and a phone code.
// The same through real processes and nginx: the reverse-proxy test.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { backoffSeconds, FREE_FAILURES } from '../../src/features/auth/throttle.ts'
import type { SmsMessage } from '../../src/lib/sms.ts'
import { Agent, createOwner, flashOf, signIn, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'

const texts: SmsMessage[] = []
// Both instances work the one queue: whichever takes the SMS job sends it here.
const sendSms = async (sms: SmsMessage): Promise<void> => { texts.push(sms) }
const ta = await startTestApp(t, { env: { TRUST_PROXY: '127.0.0.1' }, build: { sendSms } })
const A = ta.app
const B = await buildApp(ta.config, { clock: ta.clock, logger: { level: 'error' }, sendSms })
t.teardown(() => B.close())
const { clock } = ta
const db = A.deps.db
const owner = await createOwner(ta)

/** The same browser, its next request going to the other instance. */
function via (agent: Agent, app: FastifyInstance): Agent {
  const moved = new Agent(app)
  for (const [k, v] of agent.cookies) moved.cookies.set(k, v)
  moved.lastCsrf = agent.lastCsrf
  return moved
}

t.test('a session made on one instance is used and ended on the other', async (t) => {
  const onA = await signIn(ta, owner.email, owner.password)
  const onB = via(onA, B)
  const profile = await onB.get('/client/profile')
  t.equal(profile.statusCode, 200)
  t.match(profile.body, owner.email)
  const out = await onB.post('/logout', {})
  t.equal(out.statusCode, 303)
  const back = await new Agent(A).get('/client/profile')
  t.equal(back.statusCode, 303, 'a stranger is sent to sign in')
  const replay = await A.inject({ url: '/client/profile', headers: { cookie: onA.cookieHeader } })
  t.equal(replay.statusCode, 303, 'the old cookie is dead on the first instance too')
})

async function attempt (app: FastifyInstance, email: string, password: string): Promise<number> {
  const a = new Agent(app, { 'x-forwarded-for': '203.0.113.9' })
  await a.get('/login')
  return (await a.post('/login', { email, password })).statusCode
}

t.test('failures counted on both instances throttle the address on either', async (t) => {
  const u = await createOwner(ta, 'throttle@example.com', 'throttle passphrase ok')
  for (let i = 0; i < FREE_FAILURES; i++) t.equal(await attempt(i % 2 === 0 ? A : B, u.email, 'wrong password 123'), 422)
  t.equal(await attempt(B, u.email, u.password), 422, 'B refuses the right password while A and B failures back off')
  t.equal(await attempt(A, u.email, u.password), 422, 'so does A')
  clock.advance(backoffSeconds(FREE_FAILURES) + 1)
  t.equal(await attempt(A, u.email, u.password), 303, 'allowed once the back-off has passed')
})

t.test('parallel attempts split between the instances: no more are checked than the limit lets through', async (t) => {
  const u = await createOwner(ta, 'parallel@example.com', 'parallel passphrase ok')
  const results = await Promise.all(Array.from({ length: 12 }, async (_, i) => await attempt(i % 2 === 0 ? A : B, u.email, `wrong password ${i}`)))
  t.same([...new Set(results)], [422])
  const rows = await db.selectFrom('login_attempts').select('throttled').where('email', '=', u.email).execute()
  t.equal(rows.filter((r) => !r.throttled).length, FREE_FAILURES, 'only the free failures had their password checked')
  t.equal(rows.filter((r) => r.throttled).length, 12 - FREE_FAILURES, 'the others were refused before the check')
})

t.test('a re-confirmation asked on one instance is answered on the other; a phone code sent by one is accepted by the other', async (t) => {
  const onA = await signIn(ta, owner.email, owner.password)
  const prompt = await onA.postPrompted('/client/profile/phone', { phone: '+79123456702' })
  t.equal(prompt.statusCode, 200)
  const onB = via(onA, B)
  const saved = await onB.confirm(prompt, owner.password)
  t.equal(saved.statusCode, 303, 'B completes the operation A asked to confirm')
  const user = await db.selectFrom('users').select(['phone', 'phone_verified']).where('id', '=', owner.userId).executeTakeFirstOrThrow()
  t.same(user, { phone: '+79123456702', phone_verified: false })

  const onA2 = via(onB, A)
  await onA2.get('/client/profile')
  const sent = await onA2.postStillConfirmed('/client/profile/phone/verification', {})
  t.equal(sent.statusCode, 303, 'A still honours the confirmation given on B, and sends a code')
  const sms = await eventually('the code SMS', () => texts.find((m) => m.to === '+79123456702'))
  const code = sms.text.match(/\b(\d{6})\b/)![1]!

  const onB2 = via(onA2, B)
  await onB2.get('/client/profile')
  const checked = await onB2.postStillConfirmed('/client/profile/phone/verification/check', { code })
  t.equal(checked.statusCode, 303, 'B accepts the code A sent')
  t.match(flashOf((await onB2.get('/client/profile')).body), 'The phone number has been verified.')
  const after = await db.selectFrom('users').select('phone_verified').where('id', '=', owner.userId).executeTakeFirstOrThrow()
  t.equal(after.phone_verified, true)

  const again = await via(onB2, A).postStillConfirmed('/client/profile/phone/verification/check', { code })
  t.equal(again.statusCode, 422, 'the code was used up on B: A refuses it')
})
