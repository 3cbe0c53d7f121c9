// Seeds the scale benchmark with set-based SQL (insert … select … from
// generate_series), in one transaction, through the production schema and
// its indexes as they are: 100 000 accounts, 300 000 users, 5 000 000 audit
// rows; the first account ("the big one") has 2 000 users and 1 000 000 of
// the events, interleaved in time with everyone else's as in real life.
// Idempotent: nothing happens when the big account's owner exists.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../src/db/schema.ts'

export const SCALE_OWNER_EMAIL = 'scale-a0-u0@scale.example.com'
export const SCALE_PASSWORD = 'scale benchmark passphrase'

const ACCOUNTS = 100_000
const BIG_USERS = 2_000
const USERS = 300_000
const EVENTS = 5_000_000
const BIG_EVERY = 5 // every 5th event is the big account's: 1 000 000

export async function scaleSeeded (db: Kysely<DB>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where(sql`lower(email)`, '=', SCALE_OWNER_EMAIL).executeTakeFirst()) !== undefined
}

/** Seeds (the caller checks scaleSeeded first); logs each step with its time. */
export async function seedScale (db: Kysely<DB>, passwordHash: string, log: (line: string) => void): Promise<void> {
  const others = ACCOUNTS - 1
  await db.transaction().execute(async (trx) => {
    const step = async (name: string, query: ReturnType<typeof sql>) => {
      const t0 = performance.now()
      await query.execute(trx)
      log(`  ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
    await sql`set local work_mem = '256MB'`.execute(trx)
    // rn 0 is the big account; rn and urn number accounts and users for the joins below.
    await step('temp tables', sql`create temp table scale_accounts (rn int primary key, id bigint not null) on commit drop`)
    await sql`create temp table scale_users (arn int, urn int, id bigint not null, primary key (arn, urn)) on commit drop`.execute(trx)
    await step(`${ACCOUNTS} accounts`, sql`with ins as (
        insert into accounts (created_at) select now() - interval '3 years' from generate_series(1, ${ACCOUNTS}) returning id)
      insert into scale_accounts select row_number() over (order by id) - 1, id from ins`)
    // Big account: urn 0..1999; the others: 2 or 3 users each (urn 0 is the owner).
    await step(`${USERS} users`, sql`with src as (
        select 0 as arn, g as urn from generate_series(0, ${BIG_USERS - 1}) g
        union all
        select 1 + g % ${others}, g / ${others} from generate_series(0, ${USERS - BIG_USERS - 1}) g
      ), ins as (
        insert into users (account_id, email, full_name, password_hash, is_owner, last_login_at, created_at)
        select a.id, 'scale-a' || s.arn || '-u' || s.urn || '@scale.example.com', 'Scale User ' || s.arn || '-' || s.urn,
          ${passwordHash}, s.urn = 0, now() - (s.urn % 97) * interval '1 day', now() - interval '3 years'
        from src s join scale_accounts a on a.rn = s.arn
        returning id, account_id, email)
      insert into scale_users
      select a.rn, split_part(split_part(ins.email, '-u', 2), '@', 1)::int, ins.id from ins join scale_accounts a on a.id = ins.account_id`)
    await sql`analyze scale_accounts`.execute(trx)
    await sql`analyze scale_users`.execute(trx)
    // Event g: the big account's when g % 5 = 0 (a tenth of them by its owner,
    // the rest spread over its users), else one of the others' in turn.
    // Times: one event every 12 s over about two years, ids in time order.
    await step(`${EVENTS} audit events`, sql`with ev as (
        select g,
          (case when g % ${BIG_EVERY} = 0 then 0 else 1 + (g - g / ${BIG_EVERY} - 1) % ${others} end)::int as arn,
          (case when g % ${BIG_EVERY} = 0
            then case when g % ${BIG_EVERY * 10} = 0 then 0 else 1 + ((g / ${BIG_EVERY}) * 7919) % ${BIG_USERS - 1} end
            else ((g - g / ${BIG_EVERY} - 1) / ${others}) % 2 end)::int as urn,
          (array['login.success', 'login.success', 'login.success', 'login.failed', 'profile.name_changed', 'phone.set',
            'password.changed', 'session.ended', 'user.updated', 'permissions.changed'])[1 + (g / 7) % 10] as action
        from generate_series(0::bigint, ${EVENTS - 1}::bigint) g
      )
      insert into audit_log (account_id, actor_user_id, target_user_id, action, ip, details, created_at)
      select a.id, actor.id, case when ev.action in ('user.updated', 'permissions.changed') then target.id end, ev.action,
        '198.51.100.' || (1 + ev.g % 250),
        case when ev.action = 'profile.name_changed' then '{"field": "full_name"}'::jsonb else '{}'::jsonb end,
        timestamptz '2024-01-01 00:00:00+00' + ev.g * interval '12 seconds'
      from ev
      join scale_accounts a on a.rn = ev.arn
      join scale_users actor on actor.arn = ev.arn and actor.urn = ev.urn
      join scale_users target on target.arn = ev.arn and target.urn = (ev.urn + 1) % (case when ev.arn = 0 then ${BIG_USERS} else 2 end)`)
  })
}
