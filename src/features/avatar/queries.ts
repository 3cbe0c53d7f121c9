import type { Kysely } from 'kysely'
import type { Pool } from 'pg'
import type { DB } from '../../db/schema.ts'
import type { EraseStep, ExportSection } from '../../lib/personal-data.ts'

/** The user's avatar file name, if any. */
export async function avatarOf (db: Kysely<DB>, userId: string): Promise<string | undefined> {
  return (await db.selectFrom('avatars').select('file').where('user_id', '=', userId).executeTakeFirst())?.file
}

/** The user's one avatar, replacing the one before (the row is the user's: parallel uploads leave the last). */
export async function putAvatar (db: Kysely<DB>, row: { userId: string, file: string, bytes: Buffer, contentType: string, at: Date }): Promise<void> {
  await db.insertInto('avatars').values({ user_id: row.userId, file: row.file, bytes: row.bytes, content_type: row.contentType, created_at: row.at })
    .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({
      file: eb.ref('excluded.file'),
      bytes: eb.ref('excluded.bytes'),
      content_type: eb.ref('excluded.content_type'),
      created_at: eb.ref('excluded.created_at')
    }))).execute()
}

/** Deletes the user's avatar: whether there was one. */
export async function deleteAvatar (db: Kysely<DB>, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('avatars').where('user_id', '=', userId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** An avatar by its served name: a named prepared statement, as browsers without it cached ask often. */
export async function avatarFile (pool: Pool, file: string): Promise<{ bytes: Buffer, content_type: string } | undefined> {
  const { rows } = await pool.query<{ bytes: Buffer, content_type: string }>({
    name: 'avatar_file',
    text: 'select bytes, content_type from avatars where file = $1 limit 1',
    values: [file]
  })
  return rows[0]
}

/** The export says which avatar the user has, not the image (it is the user's own upload, re-encoded). */
export const avatarExport: ExportSection[] = [{
  name: 'avatar',
  query: (db, subject) => db.selectFrom('avatars').select(['file', 'content_type', 'created_at']).where('user_id', '=', subject.id)
}]

export const eraseAvatar: EraseStep = async (trx, subject) => {
  await trx.deleteFrom('avatars').where('user_id', '=', subject.id).execute()
}
