import { sql } from 'kysely'
import t from 'tap'
import { createAccount, deleteUser, findUser, findUsersByEmail, permissionsOf, removePhone, resetTwoFactor, updateUser } from '../../src/features/provider/index.ts'
import { issueToken } from '../../src/lib/tokens.ts'
import { verifyPassword } from '../../src/lib/passwords.ts'
import { createOwner, createUser, grantPermissions, signIn, startTestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/wait.ts'

const ta = await startTestApp(t)
const { app, base } = ta
const deps = app.deps
const db = deps.db
const owner = await createOwner(ta)
const other = await createOwner(ta, 'other-owner@example.com', 'other owner passphrase', 'Otto Other')
const events = async (type: string, target?: string) => await db.selectFrom('audit_log').select(['account_id', 'actor_user_id', 'target_user_id', 'details'])
  .where('action', '=', type).$if(target !== undefined, (q) => q.where('target_user_id', '=', target!)).orderBy('id').execute()
const userCount = async () => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
const NOT_IDS = ['999999999', 'abc', '', '12abc', '-1', '1.5', ' 1', '99999999999999999999', "1' or '1'='1"]

t.test('createAccount: the owner with a password, active at once', async (t) => {
  const r = await createAccount(deps, { email: ' New@Example.COM ', name: '  Nina   New ', password: 'new owner passphrase' })
  if (!r.ok) return t.fail(r.reason)
  t.notOk('inviteUrl' in r)
  const user = await db.selectFrom('users').selectAll().where('id', '=', r.userId).executeTakeFirstOrThrow()
  t.match(user, { account_id: r.accountId, email: 'new@example.com', full_name: 'Nina New', is_owner: true, status: 'active' })
  t.ok(await verifyPassword(user.password_hash, 'new owner passphrase'))
  t.match(await events('account.created', r.userId), [{ account_id: r.accountId, actor_user_id: null, details: { by: 'provider' } }])
})

t.test('createAccount without a password: a single-use invitation link from PUBLIC_URL', async (t) => {
  const r = await createAccount(deps, { email: 'invited@example.com', name: 'Ivan Invited' })
  if (!r.ok) return t.fail(r.reason)
  t.match(r.inviteUrl, /^http:\/\/panel\.test\/password\/reset\/[A-Za-z0-9_-]{22}$/)
  const tokens = await db.selectFrom('tokens').select('purpose').where('user_id', '=', r.userId).execute()
  t.same(tokens, [{ purpose: 'invite' }])
})

t.test('createAccount refusals: each reason, nothing created', async (t) => {
  const before = await userCount()
  const cases: Array<[{ email: string, name: string, password?: string }, object]> = [
    [{ email: 'not-an-email', name: 'X' }, { reason: 'invalid_email' }],
    [{ email: 'x@example.com\nBcc: y@example.com', name: 'X' }, { reason: 'invalid_email' }],
    [{ email: 'x@example.com', name: '   ' }, { reason: 'invalid_name' }],
    [{ email: 'x@example.com', name: 'A\u0000B' }, { reason: 'invalid_name' }],
    [{ email: 'x@example.com', name: 'X', password: 'short' }, { reason: 'weak_password', rule: 'too_short' }],
    [{ email: 'x@example.com', name: 'X', password: 'p'.repeat(129) }, { reason: 'weak_password', rule: 'too_long' }],
    [{ email: 'longlocalpart@example.com', name: 'X', password: 'LongLocalPart' }, { reason: 'weak_password', rule: 'same_as_email' }],
    [{ email: 'x@example.com', name: 'X', password: '1qaz2wsx3edc' }, { reason: 'weak_password', rule: 'common' }],
    [{ email: 'OWNER@Example.com', name: 'X' }, { reason: 'email_taken' }]
  ]
  for (const [input, failure] of cases) t.same(await createAccount(deps, input), { ok: false, ...failure }, JSON.stringify(input))
  t.equal(await userCount(), before)
})

t.test('findUser and findUsersByEmail: the SPEC shape, any account', async (t) => {
  const when = new Date('2026-01-02T03:04:05.000Z')
  await db.updateTable('users').set({ last_login_at: when, phone: '+79123456789', phone_verified: true }).where('id', '=', other.userId).execute()
  const expected = {
    id: other.userId, accountId: other.accountId, email: 'other-owner@example.com', name: 'Otto Other', phone: '+79123456789',
    phoneVerified: true, status: 'active', owner: true, twoFactor: false, lastLoginAt: '2026-01-02T03:04:05.000Z'
  }
  t.same(await findUser(deps, other.userId), { ok: true, user: expected })
  t.same(await findUser(deps, `00${other.userId}`), { ok: true, user: expected }, 'leading zeros name the same user')
  t.same(await findUsersByEmail(deps, ' Other-Owner@EXAMPLE.com'), [expected])
  t.same(await findUsersByEmail(deps, 'nobody@example.com'), [])
  for (const id of NOT_IDS) t.same(await findUser(deps, id), { ok: false, reason: 'not_found' }, JSON.stringify(id))
})

t.test('every user operation: an id that is no user is not_found, nothing changes', async (t) => {
  const before = await db.selectFrom('audit_log').select('id').execute()
  for (const id of NOT_IDS) {
    const notFound = { ok: false, reason: 'not_found' }
    t.same(await updateUser(deps, id, { name: 'Nobody' }), notFound, `updateUser ${JSON.stringify(id)}`)
    t.same(await deleteUser(deps, id), notFound, `deleteUser ${JSON.stringify(id)}`)
    t.same(await removePhone(deps, id), notFound, `removePhone ${JSON.stringify(id)}`)
    t.same(await resetTwoFactor(deps, id), notFound, `resetTwoFactor ${JSON.stringify(id)}`)
    t.same(await permissionsOf(deps, id), notFound, `permissionsOf ${JSON.stringify(id)}`)
  }
  t.equal((await db.selectFrom('audit_log').select('id').execute()).length, before.length, 'no event recorded')
})

t.test('updateUser email: the first user too; pending links revoked; recorded with by provider', async (t) => {
  const link = await issueToken(db, owner.userId, 'password_reset', ta.clock.now(), 3600)
  t.ok(link)
  const r = await updateUser(deps, owner.userId, { email: ' Olga.New@Example.com ' })
  t.match(r, { ok: true, user: { id: owner.userId, email: 'olga.new@example.com', owner: true } })
  const pending = await db.selectFrom('tokens').select('id').where('user_id', '=', owner.userId).where('used_at', 'is', null).execute()
  t.same(pending, [], 'no link of the old address works any more')
  t.match(await events('user.email_changed', owner.userId), [{ account_id: owner.accountId, actor_user_id: null, details: { by: 'provider', from: 'owner@example.com', to: 'olga.new@example.com' } }])
  // The same address again (in another case) is no change: nothing recorded.
  t.match(await updateUser(deps, owner.userId, { email: 'OLGA.NEW@example.com' }), { ok: true })
  t.equal((await events('user.email_changed', owner.userId)).length, 1)
  owner.email = 'olga.new@example.com'
})

t.test('updateUser refusals: each reason, all or nothing', async (t) => {
  const row = async () => await db.selectFrom('users').select(['email', 'full_name', 'status']).where('id', '=', owner.userId).executeTakeFirstOrThrow()
  const before = await row()
  t.same(await updateUser(deps, owner.userId, { name: 'Valid Name', email: 'OTHER-OWNER@example.com' }), { ok: false, reason: 'email_taken' }, "another account's address, in any case")
  t.same(await updateUser(deps, owner.userId, { name: 'Valid Name', email: 'not an email' }), { ok: false, reason: 'invalid_email' })
  t.same(await updateUser(deps, owner.userId, { email: 'fine@example.com', name: 'Bad <b>name</b>' }), { ok: false, reason: 'invalid_name' })
  t.same(await updateUser(deps, owner.userId, { name: 'Valid Name', status: 'deleted' }), { ok: false, reason: 'invalid_status' })
  t.same(await row(), before, 'nothing saved')
})

t.test('updateUser name and status: recorded; disabling the first user ends their sessions', async (t) => {
  const agent = await signIn(ta, owner.email, owner.password)
  t.equal((await agent.get(`${base}client/profile`)).statusCode, 200)
  t.match(await updateUser(deps, owner.userId, { name: 'Olga Renamed' }), { ok: true, user: { name: 'Olga Renamed' } })
  t.match(await events('user.updated', owner.userId), [{ details: { by: 'provider', nameChanged: true } }])
  t.match(await updateUser(deps, owner.userId, { status: 'disabled' }), { ok: true, user: { status: 'disabled' } })
  t.same(await db.selectFrom('sessions').select('id').where('user_id', '=', owner.userId).execute(), [])
  t.equal((await agent.get(`${base}client/profile`)).statusCode, 303, 'signed out')
  t.equal((await agent.logIn(base, owner.email, owner.password)).statusCode, 422, 'cannot sign in')
  t.match(await events('user.disabled', owner.userId), [{ account_id: owner.accountId, details: { by: 'provider' } }])
  t.match(await updateUser(deps, owner.userId, { status: 'active' }), { ok: true, user: { status: 'active' } })
  t.match(await events('user.enabled', owner.userId), [{ details: { by: 'provider' } }])
  t.equal((await agent.logIn(base, owner.email, owner.password)).statusCode, 303)
})

t.test("another account's user: changed by id, recorded in that user's account", async (t) => {
  const u = await createUser(ta, other.accountId, 'otto-user@example.com')
  t.match(await updateUser(deps, u.userId, { name: 'Otto User' }), { ok: true, user: { accountId: other.accountId, name: 'Otto User' } })
  t.match(await events('user.updated', u.userId), [{ account_id: other.accountId }])
})

t.test('permissionsOf: Full access for the first user, the permissions held otherwise', async (t) => {
  const u = await createUser(ta, owner.accountId, 'perm@example.com')
  await grantPermissions(ta, u.userId, 'users.view', 'finance.view')
  t.same(await permissionsOf(deps, u.userId), { ok: true, userId: u.userId, fullAccess: false, permissions: ['finance.view', 'users.view'] })
  const all = await permissionsOf(deps, owner.userId)
  t.match(all, { ok: true, fullAccess: true })
  t.same(all.ok && all.permissions, [...deps.config.permissionCatalog.keys].sort())
})

t.test('removePhone and resetTwoFactor', async (t) => {
  const u = await createUser(ta, owner.accountId, 'lost@example.com')
  await db.updateTable('users').set({ phone: '+79123456780', phone_verified: true, two_factor_enabled: true, totp_secret: 'sealed', totp_last_step: '1' }).where('id', '=', u.userId).execute()
  await db.insertInto('recovery_codes').values({ user_id: u.userId, code_hash: 'x', created_at: ta.clock.now() }).execute()
  t.same(await removePhone(deps, u.userId), { ok: true, userId: u.userId })
  t.same(await resetTwoFactor(deps, u.userId), { ok: true, userId: u.userId })
  t.match(await findUser(deps, u.userId), { ok: true, user: { phone: null, phoneVerified: false, twoFactor: false } })
  t.same(await db.selectFrom('recovery_codes').select('user_id').where('user_id', '=', u.userId).execute(), [])
  t.match(await events('phone.removed_by_provider', u.userId), [{ account_id: owner.accountId, actor_user_id: null }])
  t.match(await events('totp.reset_by_provider', u.userId), [{ account_id: owner.accountId, actor_user_id: null }])
})

t.test('deleteUser: the first user too; the other users stay; twice is not_found', async (t) => {
  const acct = await createAccount(deps, { email: 'doomed@example.com', name: 'Doomed Owner', password: 'doomed owner passphrase' })
  if (!acct.ok) return t.fail(acct.reason)
  const stays = await createUser(ta, acct.accountId, 'stays@example.com')
  t.same(await deleteUser(deps, acct.userId), { ok: true, userId: acct.userId })
  t.same(await findUser(deps, acct.userId), { ok: false, reason: 'not_found' })
  t.match(await findUser(deps, stays.userId), { ok: true })
  t.match(await events('user.deleted'), [{ account_id: acct.accountId, details: { userId: acct.userId, email: 'doomed@example.com' } }])
  t.same(await deleteUser(deps, acct.userId), { ok: false, reason: 'not_found' })
})

t.test('parallel: two users changed to the same new address at once; exactly one gets it', async (t) => {
  const a = await createUser(ta, owner.accountId, 'race-a@example.com')
  const b = await createUser(ta, other.accountId, 'race-b@example.com')
  for (let i = 0; i < 5; i++) {
    const to = `race-${i}@example.com`
    const results = await Promise.all([updateUser(deps, a.userId, { email: to }), updateUser(deps, b.userId, { email: to.toUpperCase() })])
    t.equal(results.filter((r) => r.ok).length, 1, `round ${i}: one succeeds`)
    t.same(results.filter((r) => !r.ok), [{ ok: false, reason: 'email_taken' }], `round ${i}: the other is email_taken`)
    t.equal((await findUsersByEmail(deps, to)).length, 1)
  }
})

// The same race made certain: the other change has passed the check and waits on the unique index when the first commits.
async function whileAddressHeld (email: string, attempt: () => Promise<unknown>): Promise<unknown> {
  let pending: Promise<unknown> | undefined
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ email }).where('id', '=', owner.userId).execute()
    pending = attempt()
    await eventually('the other change waiting on the unique index', async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
      return rows[0]!.n > 0 ? true : undefined
    })
  })
  return await pending
}

t.test('a unique violation at commit time is email_taken, not a crash (updateUser, createAccount)', async (t) => {
  const u = await createUser(ta, other.accountId, 'waiting@example.com')
  t.same(await whileAddressHeld('held-1@example.com', async () => await updateUser(deps, u.userId, { email: 'held-1@example.com' })), { ok: false, reason: 'email_taken' })
  t.same(await whileAddressHeld('held-2@example.com', async () => await createAccount(deps, { email: 'HELD-2@example.com', name: 'Late' })), { ok: false, reason: 'email_taken' })
  t.match(await findUser(deps, u.userId), { ok: true, user: { email: 'waiting@example.com' } }, 'unchanged')
})
