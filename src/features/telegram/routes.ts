import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import { asFormBody, field } from '../../lib/forms.ts'
import { formatDateTime } from '../../lib/format.ts'
import { refuse, signedInHandler } from '../../plugins/guards.ts'
import { findLink } from './queries.ts'
import { CODE_TTL_SECONDS, handleMessage, readUpdate, setSupport, startLink, telegramConfigured, unlink } from './service.ts'

const PAGE = '/client/settings/telegram'
const USER = { config: { access: 'user' as const } }
// Linking and the support switch change what is kept about the user: refused while it is restricted (privacy).
const CHANGES = { config: { access: 'user' as const, personalData: 'client/settings/telegram' } }

const digest = (v: string): Buffer => createHash('sha256').update(v, 'utf8').digest()

/** The header equals the secret: compared as digests of equal length, in constant time. */
export function secretMatches (given: unknown, secret: string): boolean {
  if (typeof given !== 'string') return false
  return timingSafeEqual(digest(given), digest(secret))
}

export default async function telegramRoutes (app: FastifyInstance): Promise<void> {
  const { deps } = app
  const { config } = deps
  const page = `${config.basePath}${PAGE.slice(1)}`

  async function show (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, code?: string): Promise<FastifyReply> {
    if (!telegramConfigured(config)) return reply.render('settings/telegram', { configured: false })
    const link = await findLink(deps.db, user.id)
    return reply.render('settings/telegram', {
      configured: true,
      link: link === undefined ? undefined : { username: link.username, support: link.support, linkedAt: formatDateTime(link.linkedAt, request.lang, user.timeZone) },
      code,
      deepLink: code === undefined ? undefined : `https://t.me/${config.telegramBotUsername!}?start=${code}`,
      minutes: CODE_TTL_SECONDS / 60
    })
  }

  app.get(PAGE, USER, signedInHandler(async (request, reply, user) => await show(request, reply, user)))

  // The code is shown once, in the answer to the POST that made it: it rests nowhere in clear.
  app.post(`${PAGE}/link`, CHANGES, signedInHandler(async (request, reply, user) => {
    if (!telegramConfigured(config)) return refuse(request, reply, 404)
    return await show(request, reply, user, await startLink(deps, user))
  }))

  app.post(`${PAGE}/support`, CHANGES, signedInHandler(async (request, reply, user) => {
    const value = field(asFormBody(request.body), 'support')
    if (value === null) return refuse(request, reply, 400, 'error.repeated')
    if (!await setSupport(deps, user, value === '1', { ip: request.ip })) return refuse(request, reply, 404)
    request.session.flash = { type: 'success', text: 'telegram.supportSaved' }
    return reply.redirect(page, 303)
  }))

  // Unlink goes through a page that asks, as every destructive action (SPEC §4 intro): no JavaScript needed.
  app.get(`${PAGE}/unlink`, USER, signedInHandler(async (request, reply, user) => {
    const link = await findLink(deps.db, user.id)
    if (link === undefined) return reply.redirect(page, 303)
    return reply.render('settings/telegram-unlink', { username: link.username })
  }))

  app.post(`${PAGE}/unlink`, USER, signedInHandler(async (request, reply, user) => {
    const done = await unlink(deps, user, { ip: request.ip })
    request.session.flash = done ? { type: 'success', text: 'telegram.unlinkedDone' } : { type: 'info', text: 'telegram.notLinked' }
    return reply.redirect(page, 303)
  }))

  // The bot's webhook: JSON from Telegram, authenticated by the secret header
  // (no session, no CSRF token). Its own parser takes any body, so that what
  // is not an update, even bad JSON, is answered 200 and dropped instead of
  // being sent again by Telegram for a day.
  await app.register(async (hook) => {
    hook.removeAllContentTypeParsers()
    hook.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(String(body)))
      } catch {
        done(null, undefined)
      }
    })
    hook.post('/telegram/webhook', { config: { access: 'public', kind: 'webhook' } }, async (request, reply) => {
      const secret = config.telegramWebhookSecret
      if (config.telegramBotToken === undefined || secret === undefined) return refuse(request, reply, 404)
      if (!secretMatches(request.headers['x-telegram-bot-api-secret-token'], secret)) return refuse(request, reply, 401)
      const message = readUpdate(request.body)
      const outcome = message === undefined ? 'ignored' : await handleMessage(deps, message)
      request.log.info({ outcome }, 'telegram webhook')
      return reply.code(200).type('application/json').send({ ok: true })
    })
  })
}
