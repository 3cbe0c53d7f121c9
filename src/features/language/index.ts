// The language of the pages before sign-in: a switch (English | Русский) on
// the login page, kept in a cookie. Signed in, the user's saved language
// wins (plugins/view.ts: user's language > this cookie > Accept-Language).
import { type Feature, lazyRoutes } from '../../lib/feature.ts'

export const language: Feature = { name: 'language', routes: lazyRoutes(async () => await import('./routes.ts')) }
