import type { Kysely } from 'kysely'

// Counters of the limits (sign-in throttle, wrong current passwords,
// one-time passwords): one row per kind of limit and key (an address, an
// IP, a user), reserved atomically before each check instead of being
// counted from the history afterwards.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('limit_counters')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    // The window the count belongs to; a new one starts when it has passed.
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    // Attempts reserved in the window and not given back (pending or failed).
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
    // Of those, the ones that failed.
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    // When the last attempt was reserved (for a back-off).
    .addColumn('last_at', 'timestamptz')
    .addColumn('locked_until', 'timestamptz')
    // Locks since locks_since (for a lock that doubles).
    .addColumn('locks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locks_since', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('limit_counters_pkey', ['kind', 'key'])
    .execute()
  await db.schema.createIndex('limit_counters_updated_idx').on('limit_counters').column('updated_at').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('limit_counters').execute()
}
