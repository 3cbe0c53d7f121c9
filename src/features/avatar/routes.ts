// The Avatar page (/client/settings/avatar): the current picture or the
// default initials, the upload form (multipart, route kind 'upload': the
// CSRF token is its first part) and Remove; and /avatars/<file>, where
// the pictures are served.
//
// /avatars/<file> is public (SPEC §4, public endpoints): avatars are shown
// in support correspondence, read by people and systems without a session
// here. What keeps a picture from strangers is its name, the SHA-256 of
// the stored image, which cannot be listed or guessed; it is found only
// where the user's name is shown with it. So another account's avatar is
// served to whoever has its URL, as any user's is, signed in or not.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { initialsOf } from '../../lib/initials.ts'
import { signedInHandler } from '../../plugins/guards.ts'
import { acceptUploads, uploadedFile } from '../../plugins/uploads.ts'
import { FILE_NAME } from './image.ts'
import { AVATAR_PAGE } from './page.ts'
import { avatarFile } from './queries.ts'
import { removeAvatar, setAvatar } from './service.ts'

const UPLOAD_REFUSED: Record<'none' | 'too_large' | 'too_many', MessageKey> = {
  none: 'avatar.error.none',
  too_large: 'avatar.error.tooLarge',
  too_many: 'avatar.error.tooMany'
}

// An image and nothing else: no script, no style, not framed as a page.
const IMAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'public, max-age=31536000, immutable',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
  // Shown in support correspondence, on other sites too.
  'cross-origin-resource-policy': 'cross-origin'
}

function renderAvatarPage (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, error?: MessageKey, status = 200): FastifyReply {
  return reply.render('settings/avatar', { file: user.avatar, initials: initialsOf(user.fullName, user.email), error }, status)
}

export default async function avatarRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const page = `${deps.config.basePath}${AVATAR_PAGE}`
  await acceptUploads(app)

  app.get(`/${AVATAR_PAGE}`, { config: { access: 'user' } }, signedInHandler(async (request, reply, user) => {
    return renderAvatarPage(request, reply, user)
  }))

  app.post(`/${AVATAR_PAGE}`, { config: { access: 'user', kind: 'upload', personalData: AVATAR_PAGE } }, signedInHandler(async (request, reply, user) => {
    const upload = await uploadedFile(request, 'avatar')
    if (!upload.ok) return renderAvatarPage(request, reply, user, UPLOAD_REFUSED[upload.reason], 422)
    const result = await setAvatar(deps, user, upload.bytes, request.ip)
    if (!result.ok) return renderAvatarPage(request, reply, user, result.error, 422)
    request.session.flash = { type: 'success', text: 'avatar.changed' }
    return reply.redirect(page, 303)
  }))

  app.post(`/${AVATAR_PAGE}/remove`, { config: { access: 'user', personalData: AVATAR_PAGE } }, signedInHandler(async (request, reply, user) => {
    await removeAvatar(deps, user, request.ip)
    request.session.flash = { type: 'success', text: 'avatar.removed' }
    return reply.redirect(page, 303)
  }))

  app.get<{ Params: { file: string } }>('/avatars/:file', { config: { access: 'public' } }, async (request, reply) => {
    const file = request.params.file
    const found = FILE_NAME.test(file) ? await avatarFile(deps.pool, file) : undefined
    if (found === undefined) return reply.callNotFound()
    return reply.headers(IMAGE_HEADERS)
      .header('content-disposition', `inline; filename="${file}"`)
      .type(found.content_type)
      .send(found.bytes)
  })
}
