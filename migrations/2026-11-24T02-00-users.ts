import { type Kysely, sql } from 'kysely'

// What a link carries besides its user (the new address of an email change),
// and the 2FA flag shown in the users list.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`)).execute()
  await db.schema.alterTable('users').addColumn('two_factor_enabled', 'boolean', (c) => c.notNull().defaultTo(false)).execute()
  await db.schema.createIndex('audit_log_account_action_idx').on('audit_log').columns(['account_id', 'action', 'created_at']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_log_account_action_idx').execute()
  await db.schema.alterTable('users').dropColumn('two_factor_enabled').execute()
  await db.schema.alterTable('tokens').dropColumn('data').execute()
}
