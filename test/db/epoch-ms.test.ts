// epochMs (src/db/epoch-ms.ts): a timestamp as epoch milliseconds in SQL,
// read by the session, users and activity queries. It must give what a
// JavaScript Date of the stored time gives: the time cut to the millisecond.
// float8 epoch seconds are inexact, so a time of whole milliseconds is the
// case that would come out one less without the care taken there.
import t from 'tap'
import { epochMs } from '../../src/db/epoch-ms.ts'
import { createTestDatabase, queryOnce } from '../helpers/db.ts'

const database = await createTestDatabase()
t.teardown(async () => { await database.drop() })

/** epochMs of each ISO time, as pg parses it (a number), computed by the database. */
async function epochMsOf (times: string[]): Promise<Array<number | null>> {
  const { rows } = await queryOnce<{ ms: number | null }>(database.url,
    `select ${epochMs('t.at')} as ms from unnest($1::timestamptz[]) with ordinality as t(at, n) order by t.n`, [times])
  return rows.map((r) => r.ms)
}

t.test('a time of whole milliseconds comes back as Date.getTime(), for every millisecond of a second and over the years', async (t) => {
  const times: Date[] = []
  for (let ms = 0; ms < 1000; ms++) times.push(new Date(Date.UTC(2026, 10, 27, 6, 0, 0, ms)))
  // Other dates: a day's worth of steps over 1990-2100, and the epoch itself.
  for (let at = Date.UTC(1990, 0, 1); at < Date.UTC(2100, 0, 1); at += 86_400_000 * 37 + 1_234_567 + 389) times.push(new Date(at))
  times.push(new Date(0))
  const got = await epochMsOf(times.map((d) => d.toISOString()))
  const wrong = times.filter((d, i) => got[i] !== d.getTime()).map((d, i) => `${d.toISOString()}: ${got[i]}`)
  t.same(wrong, [], `all ${times.length} exact`)
})

t.test('microseconds are cut, as a Date cuts them; null stays null', async (t) => {
  t.same(await epochMsOf(['2026-11-27T06:00:00.268123Z', '2026-11-27T06:00:00.268500Z', '2026-11-27T06:00:00.268998Z']),
    [Date.UTC(2026, 10, 27, 6, 0, 0, 268), Date.UTC(2026, 10, 27, 6, 0, 0, 268), Date.UTC(2026, 10, 27, 6, 0, 0, 268)])
  const { rows } = await queryOnce<{ ms: number | null }>(database.url, `select ${epochMs('null::timestamptz')} as ms`)
  t.equal(rows[0]!.ms, null)
})
