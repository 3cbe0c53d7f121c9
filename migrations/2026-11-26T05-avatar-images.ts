import type { Kysely } from 'kysely'

// Avatars (SPEC §4.7), in PostgreSQL rather than DATA_DIR: several
// instances of the service share one database and no file system, so a file
// written by one would be missing on the others. An avatar is at most a
// 256×256 WebP (a few KiB), served with long caching: the database is not
// read again for it by a browser that has it.
// - file: the SHA-256 of the stored bytes (hex) and the extension; the name
//   changes with the image, so it can be cached as immutable and cannot be
//   guessed. Two users with the same image share the name, not the row.
// - one avatar per user (user_id is the key): a new one replaces the old
//   row, Remove deletes it; the user's deletion takes it along.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('avatars')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bytea', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('avatars_file_idx').on('avatars').column('file').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('avatars').execute()
}
