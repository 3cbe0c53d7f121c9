import type { CurrentUser } from '../../lib/current-user.ts'
import { recordEvent } from '../../lib/events.ts'
import type { Deps } from '../../types.ts'
import { reencode } from './image.ts'
import { deleteAvatar, putAvatar } from './queries.ts'
import type { MessageKey } from '../../lib/i18n.ts'

export type AvatarResult = { ok: true } | { ok: false, error: MessageKey }

const REFUSED: Record<'not_image' | 'too_big' | 'broken', MessageKey> = {
  not_image: 'avatar.error.notImage',
  too_big: 'avatar.error.tooManyPixels',
  broken: 'avatar.error.broken'
}

/** Re-encodes the upload and makes it the user's avatar, audited; a refused image changes nothing. */
export async function setAvatar (deps: Pick<Deps, 'db' | 'clock'>, user: CurrentUser, upload: Buffer, ip: string): Promise<AvatarResult> {
  const image = await reencode(upload)
  if (!image.ok) return { ok: false, error: REFUSED[image.reason] }
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await putAvatar(trx, { userId: user.id, file: image.file, bytes: image.bytes, contentType: image.contentType, at })
    await recordEvent(trx, { type: 'avatar.changed', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip, at })
  })
  return { ok: true }
}

/** Back to the default (the initials); audited when there was an avatar. */
export async function removeAvatar (deps: Pick<Deps, 'db' | 'clock'>, user: CurrentUser, ip: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    if (!await deleteAvatar(trx, user.id)) return
    await recordEvent(trx, { type: 'avatar.removed', accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, ip, at: deps.clock.now() })
  })
}
