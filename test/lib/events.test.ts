// Events: the typed record, and scrubbing one user's personal values from it.
import t from 'tap'
import { type AppEvent, recordEvent, scrubPersonal } from '../../src/lib/events.ts'
import { createOwner, createUser, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const db = ta.app.deps.db
const owner = await createOwner(ta)
const uma = await createUser(ta, owner.accountId, 'uma@example.com')
const at = ta.clock.now()
const common = { accountId: owner.accountId, actorUserId: owner.userId, ip: '192.0.2.1', at }

// Types a feature did not declare, or details a type does not carry, do not compile.
// @ts-expect-error an undeclared type
const undeclared: AppEvent = { ...common, type: 'user.renamed' }
// @ts-expect-error phone.set carries the number as personal, not as a detail
const misplaced: AppEvent = { ...common, type: 'phone.set', details: { phone: '+79123456789' } }
void undeclared; void misplaced

const rowsAbout = (userId: string) => db.selectFrom('audit_log').select(['action', 'details', 'personal_of', 'personal_keys'])
  .where((eb) => eb.or([eb('target_user_id', '=', userId), eb('personal_of', '=', userId)])).orderBy('id').execute()

t.test('personal values are kept with whose they are; facts beside them', async (t) => {
  await recordEvent(db, { ...common, type: 'user.created', targetUserId: uma.userId, details: { invited: true, fullAccess: false, permissions: 'users.view' }, personal: { email: 'uma@example.com' } })
  await recordEvent(db, { ...common, type: 'permissions.full_access', targetUserId: uma.userId, details: { fullAccess: true } })
  await recordEvent(db, { ...common, type: 'user.email_change_requested', targetUserId: owner.userId, personal: { from: 'owner@example.com', to: 'new@example.com' } })
  const rows = await rowsAbout(uma.userId)
  t.same(rows.map((r) => [r.action, r.personal_of, r.personal_keys]), [['user.created', uma.userId, ['email']], ['permissions.full_access', null, null]])
  t.same(rows[0]!.details, { invited: true, fullAccess: false, permissions: 'users.view', email: 'uma@example.com' }, 'the log shows both')
})

t.test('scrubbing a user removes their personal values and keeps the rest', async (t) => {
  t.equal(await scrubPersonal(db, uma.userId), 1)
  const rows = await rowsAbout(uma.userId)
  t.same(rows[0]!.details, { invited: true, fullAccess: false, permissions: 'users.view' })
  t.same(rows[1]!.details, { fullAccess: true })
  const owners = await db.selectFrom('audit_log').select('details').where('action', '=', 'user.email_change_requested').execute()
  t.same(owners[0]!.details, { from: 'owner@example.com', to: 'new@example.com' }, 'another user\'s values stay')
  t.equal(await scrubPersonal(db, uma.userId), 0, 'nothing left to scrub')
})

t.test('a deleted user\'s row is scrubbed by the id it had', async (t) => {
  const gone = await createUser(ta, owner.accountId, 'gone@example.com', 'a long enough passphrase', 'Gone Person')
  await recordEvent(db, { ...common, type: 'user.deleted', targetUserId: null, personalOf: gone.userId, details: { userId: gone.userId }, personal: { email: 'gone@example.com', name: 'Gone Person' } })
  await db.deleteFrom('users').where('id', '=', gone.userId).execute()
  t.equal(await scrubPersonal(db, gone.userId), 1)
  const row = await db.selectFrom('audit_log').select('details').where('action', '=', 'user.deleted').executeTakeFirstOrThrow()
  t.same(row.details, { userId: gone.userId })
})
