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
import { appNameIn, fixedText, isLanguage, type Language, LANGUAGE_COOKIE, languageChoices, languages, negotiateLanguage, translator } from '../lib/i18n.ts'
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
 * Eta for one language, with compiled templates cached (`cache: true`) and
 * template paths resolved once: Eta resolves the path of every render and
 * include again (a JSON key, path.join, path.relative), which cost more than
 * some pages' own code. Only successful resolutions are kept, so the
 * views-directory check still runs before a path is first used; names come
 * from code. Its compiled templates carry that language's fixed texts
 * (foldTranslations), only the helpers they use (leanHelpers), and give a
 * partial only the page's data it reads (scopedIncludes).
 */
export function createEta (lang: Language, views = viewsDir): Eta {
  const eta = new Eta({ views, cache: true, autoEscape: true, autoTrim: [false, 'nl'], plugins: [scopedIncludes, foldTranslations(lang), leanHelpers] })
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
  const reads = readsOfTemplates(eta)
  // What an include given data renders with (scopedIncludes): the keys of
  // the page's data the partial and the partials it includes read, then the
  // data given. A partial that uses `it` otherwise (passes it on whole) gets
  // all of it, as Eta gives.
  const scopeFor = (template: string, it: Record<string, unknown>, data: Record<string, unknown>, options: { filepath?: string }): Record<string, unknown> => {
    const keys = template.startsWith('@') ? undefined : reads(eta.resolvePath(template, options))
    if (keys === undefined) return { ...it, ...data }
    const scope: Record<string, unknown> = {}
    for (const key of keys) scope[key] = it[key]
    return Object.assign(scope, data)
  }
  return Object.assign(eta, { scopeFor })
}

/**
 * The keys of `it` a template file reads (`it.name`), with those of the
 * partials it includes by name, worked out once per file from its tags;
 * undefined when it uses `it` in another way (passes it on, indexes it).
 */
function readsOfTemplates (eta: Eta): (file: string) => readonly string[] | undefined {
  const known = new Map<string, readonly string[] | undefined>()
  const readsOf = (file: string, open: Set<string>): readonly string[] | undefined => {
    if (known.has(file)) return known.get(file)
    if (open.has(file)) return undefined // a partial that includes itself, on some path: given all
    open.add(file)
    // The code of its tags, less those that are one comment (the templates' notes on their data).
    const code = (eta.parse(eta.readFile(file)) as EtaAst).flatMap((item) => typeof item === 'string' || /^\s*\/\*((?!\*\/)[\s\S])*\*\/\s*$/.test(item.val) ? [] : [item.val]).join('\n')
    let keys: Set<string> | undefined = new Set([...code.matchAll(/\bit\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!))
    if (/\bit\b(?!\.[A-Za-z_$])/.test(code)) keys = undefined
    for (const m of code.matchAll(/\binclude\(\s*(['"])(.+?)\1/g)) {
      if (keys === undefined) break
      const inner = readsOf(eta.resolvePath(m[2]!, { filepath: file }), open)
      if (inner === undefined) keys = undefined
      else for (const key of inner) keys.add(key)
    }
    // An include whose name is not written out: its reads cannot be known.
    if (keys !== undefined && /\binclude\(\s*[^'"\s]/.test(code)) keys = undefined
    open.delete(file)
    const result = keys === undefined ? undefined : [...keys]
    known.set(file, result)
    return result
  }
  return (file) => readsOf(file, new Set())
}

// Eta gives each include a copy of all the page's data with the include's
// own on top ({...it, ...data}), an empty one included, and so the layout:
// some thirty keys copied for each avatar of a list of users. Here a
// partial given nothing gets the page's data itself (no template assigns to
// `it`); one given data, and the layout, get what scopeFor gives. Checked
// against Eta's generated code: a version that generates something else
// stops the service at the first render instead of silently copying again.
// (Reading the page's data through the prototype chain instead,
// Object.create(it), made V8 turn each page's data into a prototype: the
// Profile page rendered in ~70 µs that way.)
const EtaInclude = 'this.render(__eta_t, {...it, ...(__eta_d ?? {})}, options)'
const EtaLayout = '{...it, body: __eta.res, ...__eta.layoutData, __blocks: __eta.blocks}'
const scopedIncludes = {
  processFnString (fn: string): string {
    if (!fn.includes(EtaInclude) || !fn.includes(EtaLayout)) throw new Error('Eta generates other include code than plugins/view.ts expects: check scopedIncludes')
    return fn
      .replace(EtaInclude, 'this.render(__eta_t, __eta_d === undefined ? it : this.scopeFor(__eta_t, it, __eta_d, options), options)')
      .replace(EtaLayout, '{body: __eta.res, ...__eta.layoutData, __blocks: __eta.blocks}')
  }
}

/**
 * The texts a template names by a literal key with no parameters,
 * `it.t('profile.title')`, written into its code as constants of one
 * language (each language compiles its own copy: createEta(lang)), joined
 * with the text around them: a page then looks up and escapes only what
 * varies. `it.t` is always the translator of the page's language (the
 * render locals set it). Works on Eta's parsed template: its strings are
 * code already (`\\`, `\'` and `\n` escaped), its tags JavaScript.
 */
function foldTranslations (lang: Language): { processAST: (buffer: EtaAst, config?: { escapeFunction: (text: unknown) => string }) => EtaAst } {
  const literalCall = /\bit\.t\('([\w.]+)'\)/g
  const wholeCall = /^\s*it\.t\('([\w.]+)'\)\s*$/
  return {
    processAST (buffer, config) {
      const out: EtaAst = []
      const pushText = (code: string) => {
        const last = out.length - 1
        if (typeof out[last] === 'string') out[last] += code
        else out.push(code)
      }
      for (const item of buffer) {
        if (typeof item === 'string') { pushText(item); continue }
        const whole = item.t === 'i' || item.t === 'r' ? wholeCall.exec(item.val) : null
        const text = whole === null ? undefined : fixedText(lang, whole[1]!)
        if (text !== undefined) {
          // Escaped at compile time by the escape function Eta would call when rendering (Eta passes its config).
          pushText(etaStringCode(item.t === 'i' ? config!.escapeFunction(text) : text))
          continue
        }
        out.push({ ...item, val: item.val.replace(literalCall, (call, key: string) => { const v = fixedText(lang, key); return v === undefined ? call : JSON.stringify(v) }) })
      }
      return out
    }
  }
}

/** Eta's parsed template: text (as the code of a '…' literal) and tags (t: 'i' escaped, 'r' raw, 'e' code). */
type EtaAst = Array<string | { t: string, val: string }>

/** Text as Eta writes it into a '…' literal. */
const etaStringCode = (text: string): string => text.replace(/\\|'/g, '\\$&').replace(/\r\n|\n|\r/g, '\\n')

/**
 * Eta declares, in every template function, helpers most templates never
 * call (async include, capture, blocks, output): each is a closure made on
 * every render of every partial. Those a template does not name are left out.
 */
const ETA_HELPERS: Array<{ name: string, line: RegExp }> = [
  { name: 'includeAsync', line: /^let includeAsync = .*$/m },
  { name: 'output', line: /^function output\(s\)\{.*$/m },
  // Callers before what they call: blocks use capture.
  { name: 'blockAsync', line: /^async function blockAsync\(name,fn\)\{.*$/m },
  { name: 'block', line: /^function block\(name,fn\)\{.*$/m },
  { name: 'captureAsync', line: /^async function captureAsync\(fn\)\{.*$/m },
  { name: 'capture', line: /^function capture\(fn\)\{.*$/m }
]
const leanHelpers = {
  processFnString (fn: string): string {
    let out = fn
    for (const { name, line } of ETA_HELPERS) {
      const m = line.exec(out)
      if (m === null) throw new Error(`Eta generates other helpers than plugins/view.ts expects: ${name}`)
      const rest = out.slice(0, m.index) + out.slice(m.index + m[0].length)
      if (!new RegExp(`\\b${name}\\b`).test(rest)) out = rest
    }
    return out
  }
}

export default fp(async function viewPlugin (app: FastifyInstance) {
  const { config } = app.deps
  const etas = new Map(languages.map((lang) => [lang, createEta(lang)]))
  // The same on every page: made once.
  const brandLogo = config.brandLogoUrl?.toString()
  const brandCss = config.brandCssUrl?.toString()
  const signInServices = config.authServices.map((s) => ({ id: s.id, name: s.name }))
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
    const lang = request.lang
    // The language's own: its templates carry its fixed texts (foldTranslations).
    const t = translator(lang)
    // An error page may be rendered before the onRequest hooks have run.
    request.t ??= t
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
      t,
      lang,
      languages: languageChoices,
      appName: appNameIn(config, lang),
      brandLogo,
      brandCss,
      base: config.basePath,
      // "Log in with …" on the login page: the external authorization services (external-auth feature).
      signInServices,
      currentUser: user === null ? null : { fullName: user.fullName, email: user.email, restricted: user.restricted, policyUpdated: user.policyUpdated && !user.policyPending, avatar: { file: user.avatar, initials: initialsOf(user.fullName, user.email), size: 'small' } },
      // The zone every time on the page is in, for partials/time-zone (src/lib/format.ts).
      zoneCaption: user === null ? null : timeZoneCaption(lang, user.timeZone),
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
    const html = etas.get(lang)!.render(template, locals)
    return reply.code(status).type('text/html; charset=utf-8').send(html)
  })
}, { name: 'view', dependencies: ['session'] })
