import { type Kysely, sql } from 'kysely'

// Phone number with verification codes; a public id for each session so a
// user can end one without its secret id (or the hash of it) leaving the server.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users')
    .addColumn('phone', 'text')
    .addColumn('phone_verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()

  // One live code per user and purpose; only an HMAC of the code is kept.
  await db.schema.createTable('verification_codes')
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('code_hmac', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addPrimaryKeyConstraint('verification_codes_pkey', ['user_id', 'purpose'])
    .execute()

  // Every code sent, for the resend limits per user and per destination.
  await db.schema.createTable('code_sends')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('code_sends_user_idx').on('code_sends').columns(['user_id', 'created_at']).execute()
  await db.schema.createIndex('code_sends_destination_idx').on('code_sends').columns(['destination', 'created_at']).execute()

  await db.schema.alterTable('sessions')
    .addColumn('public_id', 'uuid', (c) => c.notNull().defaultTo(sql`gen_random_uuid()`))
    .execute()
  await db.schema.createIndex('sessions_public_id_key').on('sessions').column('public_id').unique().execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('public_id').execute()
  await db.schema.dropTable('code_sends').execute()
  await db.schema.dropTable('verification_codes').execute()
  await db.schema.alterTable('users').dropColumn('phone_verified').dropColumn('phone').execute()
}
