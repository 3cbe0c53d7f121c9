// The test agent's re-confirmation methods cannot pass when the prompt does
// not do what the test says: each wrong expectation throws.
import t from 'tap'
import { createOwner, createUser, signIn, startTestApp } from './app.ts'

const ta = await startTestApp(t)
const owner = await createOwner(ta)
const other = await createUser(ta, owner.accountId, 'other@example.com')
const PHONE = `${ta.base}client/profile/phone`

t.test('a re-confirmed route must be posted through a method that says whether the prompt comes', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  t.equal(a.reconfirmedOperation(PHONE), 'phone')
  t.equal(a.reconfirmedOperation(`${ta.base}client/users/${other.userId}/disable?x=1`), 'users.disable', 'a filled parameter and a query string')
  t.equal(a.reconfirmedOperation(`${ta.base}client/profile/name`), undefined)
  await t.rejects(a.post(PHONE, { phone: '+79123456789' }), /is re-confirmed \(phone\): use postConfirmed/, 'post() refuses it')
  await t.rejects(a.postPrompted(`${ta.base}client/profile/name`, { full_name: 'X' }), /not a re-confirmed route/, 'the methods refuse any other route')
})

t.test('each method throws when the prompt does not behave as it expects', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  await t.rejects(a.postStillConfirmed(PHONE, { phone: '+79123456789' }), /expected no prompt/, 'postStillConfirmed: no confirmation yet, the prompt came')
  await t.rejects(a.postRefused(PHONE, { phone: '+79123456789' }), /expected a refusal before any prompt, got 200 with the prompt/, 'postRefused: the prompt came')
  await t.rejects(a.postConfirmed(PHONE, { phone: '+79123456789' }, 'not the password'), /the proof was refused \(422/, 'postConfirmed: a wrong proof')
  t.equal((await a.postConfirmed(PHONE, { phone: '+79123456789' }, owner.password)).statusCode, 303, 'postConfirmed: the prompt, answered')
  await t.rejects(a.postConfirmed(PHONE, { phone: '+79123456789' }, owner.password), /expected the re-confirmation prompt \(200\), got 303 and no prompt/, 'postConfirmed: no prompt within the confirmation')
  await t.rejects(a.postPrompted(PHONE, { phone: '+79123456789' }), /and no prompt/, 'postPrompted: no prompt')
  t.equal((await a.postStillConfirmed(PHONE, { phone: '+79123456789' })).statusCode, 303, 'postStillConfirmed: within the confirmation')
  await t.rejects(a.postRefused(PHONE, { phone: '+79123456789' }), /expected a refusal before any prompt, got 303/, 'postRefused: not refused')
  const b = await signIn(ta, other.email, other.password)
  t.equal((await b.postRefused(`${ta.base}client/users/${owner.userId}/disable`, {})).statusCode, 403, 'postRefused: a user without the permission')
})
