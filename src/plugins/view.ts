// Eta views. reply.render() hands a template its view-model plus the locals
// every page needs: t (translations), lang, csrf() (the token, made only when a
// template asks for it), currentUser, zoneCaption (the user's time zone, named),
// nav, flash and its note (read once) and paths.
import path from 'node:path'
import { Eta } from 'eta'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { appRoot } from '../lib/app-root.ts'
import { can } from '../lib/current-user.ts'
import { timeZoneCaption } from '../lib/format.ts'
import { initialsOf } from '../lib/initials.ts'
import { csrfSecretOf } from './csrf.ts'
import { appNameIn, isLanguage, LANGUAGE_COOKIE, languageChoices, negotiateLanguage, translator } from '../lib/i18n.ts'
import type { NavItem } from '../types.ts'

export const viewsDir = path.join(appRoot, 'views')

// One token per CSRF secret is reused across pages: making a fresh one costs
// an HMAC on every page. A cache only (any token of the secret is valid), bounded, oldest out.
const csrfTokens = new Map<string, string>()
const CSRF_TOKENS_KEPT = 20_000

function csrfToken (request: FastifyRequest, reply: FastifyReply): string {
  const secret = csrfSecretOf(request)
  const known = secret === undefined ? undefined : csrfTokens.get(secret)
  if (known !== undefined) return known
  const token = reply.generateCsrf()
  if (secret !== undefined) {
    if (csrfTokens.size >= CSRF_TOKENS_KEPT) csrfTokens.delete(csrfTokens.keys().next().value!)
    csrfTokens.set(secret, token)
  }
  return token
}

/** The menu with the one item for this page marked: the longest path that is the page or contains it. */
function currentNav (items: NavItem[], base: string, path: string): Array<NavItem & { current: boolean }> {
  const matches = (item: NavItem) => path === base + item.path || path.startsWith(`${base}${item.path}/`)
  const best = items.filter(matches).sort((a, b) => b.path.length - a.path.length)[0]
  return items.map((item) => ({ ...item, current: item === best }))
}

/**
 * Eta with compiled templates cached (`cache: true`) and template paths
 * resolved once: Eta resolves the path of every render and include again
 * (a JSON key, path.join, path.relative), which cost more than some pages'
 * own code. Only successful resolutions are kept, so the views-directory
 * check still runs before a path is first used; names come from code.
 */
export function createEta (): Eta {
  const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true, autoTrim: [false, 'nl'], plugins: [includeThroughPrototype] })
  const resolve = eta.resolvePath.bind(eta)
  // By the including file, then by name: no key strings built per include.
  const resolved = new Map<string | undefined, Map<string, string>>()
  eta.resolvePath = (template: string, options?: { filepath?: string }) => {
    let byName = resolved.get(options?.filepath)
    if (byName === undefined) resolved.set(options?.filepath, byName = new Map<string, string>())
    let file = byName.get(template)
    if (file === undefined) {
      file = resolve(template, options)
      byName.set(template, file)
    }
    return file
  }
  return eta
}

// Eta copies every key of the page's data into a new object for each
// include and for the layout ({...it, ...data}): about a third of rendering
// the Profile page, most of it garbage. Partials and the layout read the
// page's data through the prototype chain instead; what they are given
// still shadows it, as with the copy. Checked against Eta's generated code:
// a version that generates something else stops the service at the first
// render instead of silently copying again.
const EtaInclude = 'this.render(__eta_t, {...it, ...(__eta_d ?? {})}, options)'
const EtaLayout = '{...it, body: __eta.res, ...__eta.layoutData, __blocks: __eta.blocks}'
const includeThroughPrototype = {
  processFnString (fn: string): string {
    if (!fn.includes(EtaInclude) || !fn.includes(EtaLayout)) throw new Error('Eta generates other include code than plugins/view.ts expects: check includeThroughPrototype')
    return fn
      .replace(EtaInclude, 'this.render(__eta_t, __eta_d === undefined ? it : Object.assign(Object.create(it), __eta_d), options)')
      .replace(EtaLayout, 'Object.assign(Object.create(it), { body: __eta.res }, __eta.layoutData, { __blocks: __eta.blocks })')
  }
}

export default fp(async function viewPlugin (app: FastifyInstance) {
  const { config } = app.deps
  const eta = createEta()
  app.decorateRequest('lang', 'en')
  app.decorateRequest('t', null as any)

  // After the session plugin: the user's own language; before sign-in the
  // one chosen on the login page (a cookie), else the browser's.
  app.addHook('onRequest', (request, _reply, done) => {
    const chosen = request.user === null ? request.cookies[LANGUAGE_COOKIE] : undefined
    request.lang = request.user?.language ?? (isLanguage(chosen) ? chosen : negotiateLanguage(request.headers['accept-language']))
    request.t = translator(request.lang)
    done()
  })

  app.decorateReply('render', function render (this: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200) {
    const request: FastifyRequest = this.request
    const reply = this
    // An error page may be rendered before the onRequest hooks have run.
    request.t ??= translator(request.lang)
    const user = request.user ?? null
    const session = request.session as typeof request.session | null
    const live = typeof session?.sessionId === 'string' && session !== null
    const flash = live ? session.flash : undefined
    const flashNote = live ? session.flashNote : undefined
    if (flash !== undefined && session !== null) delete session.flash
    if (flashNote !== undefined && session !== null) delete session.flashNote
    let token: string | undefined
    const locals = {
      ...data,
      t: request.t,
      lang: request.lang,
      languages: languageChoices,
      appName: appNameIn(config, request.lang),
      brandLogo: config.brandLogoUrl?.toString(),
      brandCss: config.brandCssUrl?.toString(),
      base: config.basePath,
      // "Log in with …" on the login page: the external authorization services (external-auth feature).
      signInServices: config.authServices.map((s) => ({ id: s.id, name: s.name })),
      currentUser: user === null ? null : { fullName: user.fullName, email: user.email, restricted: user.restricted, policyUpdated: user.policyUpdated && !user.policyPending, avatar: { file: user.avatar, initials: initialsOf(user.fullName, user.email), size: 'small' } },
      // The zone every time on the page is in, for partials/time-zone (src/lib/format.ts).
      zoneCaption: user === null ? null : timeZoneCaption(request.lang, user.timeZone),
      nav: user === null ? [] : currentNav(app.nav.filter((item) => item.permission === undefined || can(user, item.permission)), config.basePath, request.url.split('?')[0] ?? ''),
      currentPath: request.url.split('?')[0],
      flash,
      flashNote,
      // A function, not a value: the CSRF secret cookie is made only for pages with a form.
      csrf: () => {
        token ??= csrfToken(request, reply)
        return token
      }
    }
    const html = eta.render(template, locals)
    return reply.code(status).type('text/html; charset=utf-8').send(html)
  })
}, { name: 'view', dependencies: ['session'] })
