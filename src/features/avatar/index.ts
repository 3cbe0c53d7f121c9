// Avatar (SPEC §4.7): the user's picture, shown beside their name in the
// header and the users list (and in support correspondence), or their
// initials when there is none. Uploads are checked by content, re-encoded
// and stored in PostgreSQL (image.ts, the migration says why not DATA_DIR).
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { avatarExport, eraseAvatar } from './queries.ts'
import { AVATAR_PAGE } from './page.ts'

export const avatar: Feature = {
  name: 'avatar',
  routes: lazyRoutes(async () => await import('./routes.ts')),
  settings: [{
    order: 60,
    title: 'avatar.title',
    about: 'avatar.about',
    path: AVATAR_PAGE,
    action: (user) => user.avatar === null ? 'avatar.upload' : 'avatar.change'
  }],
  events: {
    'avatar.changed': 'event.avatar.changed',
    'avatar.removed': 'event.avatar.removed'
  },
  personalData: { export: avatarExport, erase: eraseAvatar }
}
