// The provider's notify command (SPEC §6): a notification of a catalog type
// to one user, on the channels they chose; prints the channels it went to.
import { sql } from 'kysely'
import type { Command } from '../../lib/commands.ts'
import { sendNotification, SUBJECT_MAX, TEXT_MAX } from './service.ts'

const reasonText = {
  not_found: (v: Record<string, string | undefined>) => v.id !== undefined ? `--id: no user has the id ${v.id}` : `--email: no user has the email ${v.email ?? ''}`,
  unknown_type: (v: Record<string, string | undefined>) => `--type: "${v.type ?? ''}" is not a notification type of the catalog`,
  invalid_subject: () => `--subject: give a subject of 1 to ${SUBJECT_MAX} characters on one line`,
  invalid_text: () => `--text: give a text of 1 to ${TEXT_MAX} characters`
}

export const commands: readonly Command[] = [{
  name: 'notify',
  usage: '(--email EMAIL | --id USER_ID) --type TYPE --subject TEXT --text TEXT',
  options: ['email', 'id', 'type', 'subject', 'text'],
  required: ['type', 'subject', 'text'],
  exactlyOne: [['email', 'id']],
  run: async (deps, v) => {
    const userId = v.id ?? (await deps.db.selectFrom('users').select('id').where(sql`lower(email)`, '=', (v.email ?? '').trim().toLowerCase()).orderBy('id').executeTakeFirst())?.id
    if (userId === undefined) return { ok: false, error: reasonText.not_found(v) }
    const result = await sendNotification(deps, userId, v.type ?? '', v.subject ?? '', v.text ?? '')
    if (!result.ok) return { ok: false, error: reasonText[result.reason](v) }
    return { ok: true, out: { userId: result.userId, type: result.type, channels: result.channels } }
  }
}]
