import { type Kysely, sql } from 'kysely'

// External authorization services (SPEC §4.4).
// - external_identities: an identity at a service, (issuer, subject), bound
//   to one user: unique, so an identity bound to one user cannot be bound to
//   another, whatever the timing; one identity per service per user.
//   `service` is the id in AUTH_PROVIDERS_FILE at binding time (the page's
//   label); `display` is the name or email the service gave, as shown.
// - login_attempts.service: the service a sign-in went through (null: the
//   password), so the sign-in history says it.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('external_identities')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('display', 'text')
    .addColumn('bound_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('external_identities_issuer_subject_key', ['issuer', 'subject'])
    .addUniqueConstraint('external_identities_user_issuer_key', ['user_id', 'issuer'])
    .execute()
  await db.schema.alterTable('login_attempts').addColumn('service', 'text').execute()
  await sql`comment on column login_attempts.service is 'external authorization service of the sign-in, null for the password'`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('login_attempts').dropColumn('service').execute()
  await db.schema.dropTable('external_identities').execute()
}
