// POST /language: sets the `lang` cookie and goes back to the page the
// switch was on. A plain form (works with JavaScript off) with the CSRF
// token like every POST; the way back is a local path only (lib/paths.ts).
import type { FastifyInstance } from 'fastify'
import { asFormBody, field } from '../../lib/forms.ts'
import { isLanguage, LANGUAGE_COOKIE } from '../../lib/i18n.ts'
import { languageReturnTo } from '../../lib/paths.ts'
import { siteCookieOptions } from '../../lib/site-cookies.ts'

const ONE_YEAR_SECONDS = 365 * 24 * 3600

export default async function languageRoutes (app: FastifyInstance): Promise<void> {
  const { config } = app.deps
  app.post('/language', { config: { access: 'public', beforePolicy: true } }, async (request, reply) => {
    const body = asFormBody(request.body)
    const lang = field(body, 'lang')
    if (isLanguage(lang)) {
      reply.setCookie(LANGUAGE_COOKIE, lang, {
        path: config.basePath,
        maxAge: ONE_YEAR_SECONDS,
        httpOnly: true,
        ...siteCookieOptions(config)
      })
    }
    return reply.redirect(languageReturnTo(config.basePath, field(body, 'return_to')), 303)
  })
}
