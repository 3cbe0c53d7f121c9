// Waiting in tests without depending on how fast the machine is: poll with a
// generous ceiling, and when it runs out say what was seen instead.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../src/db/schema.ts'

export const CEILING_MS = 60_000

/** Polls check() until it returns a value other than undefined; throws with describe() after the ceiling. */
export async function eventually<T> (what: string, check: () => Promise<T | undefined> | T | undefined, describe: () => Promise<string> | string = () => 'nothing', timeoutMs = CEILING_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; saw ${await describe()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface JobRow { state: string, retry_count: number }

async function jobsOf (db: Kysely<DB>, queue: string): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`select state::text as state, retry_count from pgboss.job where name = ${queue} order by created_on`.execute(db)
  return rows
}

/** Until a job of the queue has failed at least `failures` times (a delivery tried while its server is down). */
export async function jobFailed (db: Kysely<DB>, queue: string, failures = 1): Promise<void> {
  await eventually(`a failed attempt of a "${queue}" job`,
    async () => (await jobsOf(db, queue)).some((j) => j.retry_count >= failures || j.state === 'failed') ? true : undefined,
    async () => JSON.stringify(await jobsOf(db, queue)))
}

/** Until no job of the queue is waiting or running. */
export async function jobsSettled (db: Kysely<DB>, queue: string): Promise<void> {
  await eventually(`the "${queue}" jobs to settle`,
    async () => (await jobsOf(db, queue)).every((j) => !['created', 'retry', 'active'].includes(j.state)) ? true : undefined,
    async () => JSON.stringify(await jobsOf(db, queue)))
}

interface DeliveryRow { id: string, type: string, status: string, attempts: number, last_error: string | null }

/** Until a delivery on the channel has failed `failures` tries (its server down) or ended failed. */
export async function deliveryFailed (db: Kysely<DB>, channel: string, failures = 1): Promise<DeliveryRow> {
  const rows = async (): Promise<DeliveryRow[]> => await db.selectFrom('deliveries').select(['id', 'type', 'status', 'attempts', 'last_error'])
    .where('channel', '=', channel).where('last_error', 'is not', null).orderBy('id').execute()
  return await eventually(`a failed try of a ${channel} delivery`,
    async () => (await rows()).find((d) => d.attempts >= failures || d.status === 'failed'),
    async () => JSON.stringify(await rows()))
}
