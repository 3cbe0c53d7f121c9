import { type Kysely, sql } from 'kysely'

// Main settings (SPEC §4.1): who may use the panel from where.
// - ip_access: 'any', or 'list': only from the addresses and CIDR ranges in
//   ip_allow_list (normalised by the app, at most 100);
// - bind_session_ip: a session works only from the IP it was started from.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users')
    .addColumn('ip_access', 'text', (c) => c.notNull().defaultTo('any').check(sql`ip_access in ('any', 'list')`))
    .addColumn('ip_allow_list', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('bind_session_ip', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('bind_session_ip').dropColumn('ip_allow_list').dropColumn('ip_access').execute()
}
