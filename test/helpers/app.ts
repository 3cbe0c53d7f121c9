// buildApp on a database of the test file's own, with a clock the test moves.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../../src/app.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { createAccount } from '../../src/features/provider/index.ts'
import type { Clock } from '../../src/lib/clock.ts'
import { createTestDatabase } from './db.ts'

export class TestClock implements Clock {
  private t: number
  constructor (start = Date.now()) { this.t = start }
  now (): Date { return new Date(this.t) }
  advance (seconds: number): void { this.t += seconds * 1000 }
}

export interface TestApp {
  app: FastifyInstance
  clock: TestClock
  config: Readonly<Config>
  base: string
}

interface Teardown { teardown: (fn: () => unknown) => void }

export async function startTestApp (t: Teardown, opts: { env?: Record<string, string>, build?: BuildOptions } = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-test-'))
  const database = await createTestDatabase()
  const config = loadConfig({
    DATA_DIR: dataDir,
    SESSION_SECRET: 'test-session-secret-of-at-least-32-chars',
    PUBLIC_URL: 'http://panel.test',
    DELIVERY_RETRY_DELAY_SECONDS: '1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    ...opts.env
  })
  const clock = new TestClock()
  const started: { app?: FastifyInstance } = {}
  // Also when the app does not start (a test of what stops it).
  t.teardown(async () => {
    await started.app?.close()
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  // Errors (5xx) still reach stderr, so that a failing run says why.
  const app = started.app = await buildApp(config, { clock, logger: { level: 'error' }, ...opts.build })
  return { app, clock, config, base: config.basePath }
}

export async function createOwner (ta: TestApp, email = 'owner@example.com', password = 'a long enough passphrase', name = 'Olga Owner'): Promise<{ accountId: string, userId: string, email: string, password: string }> {
  const r = await createAccount(ta.app.deps, { email, name, password })
  if (!r.ok) throw new Error(`createAccount: ${r.reason}`)
  return { accountId: r.accountId, userId: r.userId, email, password }
}

type Answer = Awaited<ReturnType<FastifyInstance['inject']>>
type Form = Record<string, string | string[] | null>

/**
 * A browser over app.inject: keeps cookies and reads the CSRF token off the last page.
 *
 * Re-confirmation (src/features/two-factor/confirm.ts) is never answered
 * behind a test's back. A POST to a route that re-confirms (app.routeTable
 * names its operation) goes through one of the methods below, which say what
 * the test expects and throw, failing the test, when it does not happen:
 * - postConfirmed: the prompt comes, is answered with the proof, and the
 *   answer is the operation's (a route that lost its prompt fails here);
 * - postPrompted: the prompt comes and is returned unanswered (then confirm());
 * - postStillConfirmed: no prompt, because a confirmation of the same
 *   operation and target is live (CONFIRM_SECONDS from the proof);
 * - postRefused: no prompt, because the request is refused first (a 4xx);
 * - postUnprompted: no prompt, because this form needs none (a route that
 *   re-confirms only some changes);
 * - postInvalid: no prompt, because the form's input is bad (422, the form again).
 * post() itself refuses such a route unless the form carries the proof.
 */
export class Agent {
  readonly cookies = new Map<string, string>()
  lastCsrf: string | undefined
  /** The client's address as the app's socket sees it (app.inject's remoteAddress; 127.0.0.1 unless set): move the browser by setting it. */
  remoteAddress: string | undefined

  constructor (private readonly app: FastifyInstance, private readonly headers: Record<string, string> = {}) {}

  get cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private keep (res: { headers: Record<string, unknown> }): void {
    const set = res.headers['set-cookie']
    const list: string[] = Array.isArray(set) ? set : typeof set === 'string' ? [set] : []
    for (const c of list) {
      const [pair = '', ...attrs] = c.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i).trim()
      const value = pair.slice(i + 1).trim()
      const expired = attrs.some((a: string) => /^\s*expires=thu, 01 jan 1970/i.test(a)) || value === ''
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  async get (url: string): Promise<Answer> {
    const res = await this.app.inject({ method: 'GET', url, headers: { ...this.headers, cookie: this.cookieHeader }, remoteAddress: this.remoteAddress })
    this.keep(res)
    const m = res.body.match(/name="_csrf" value="([^"]+)"/)
    if (m !== null) this.lastCsrf = m[1]
    return res
  }

  /**
   * Answers the re-confirmation prompt in the last answer (res) with the
   * proof, re-posting the form it carries (and the secrets of the original
   * form, typed again as a person would). The answer is the operation's.
   */
  async confirm (res: { body: string }, proof: string, secrets: Record<string, string> = {}): Promise<Answer> {
    const form = res.body.match(/<form method="post" action="([^"]*)" data-reconfirm[^>]*>([\s\S]*?)<\/form>/)
    if (form === null) throw new Error('no re-confirmation prompt in this page')
    const unescape = (v: string): string => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    const fields: Record<string, string | string[]> = {}
    for (const [, name = '', value = ''] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      const v = unescape(value)
      const prev = fields[name]
      fields[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
    }
    for (const [, name = ''] of form[2]!.matchAll(/<input id="f-[^"]+" name="([^"]+)"/g)) {
      if (name !== 'proof' && secrets[name] !== undefined) fields[name] = secrets[name]
    }
    return await this.send(unescape(form[1]!), { ...fields, proof })
  }

  /** True when the answer is a re-confirmation prompt. */
  static isPrompt (res: { body: string }): boolean {
    return /data-reconfirm/.test(res.body)
  }

  /** The operation the app re-confirms on a POST to this path, from app.routeTable; undefined when none. */
  reconfirmedOperation (url: string): string | undefined {
    const path = url.split(/[?#]/)[0]!.replace(/(.)\/+$/, '$1')
    for (const route of this.app.routeTable) {
      if (route.method !== 'POST' || route.operation === undefined) continue
      const pattern = route.url.split('/').map((s) => s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')
      if (new RegExp(`^${pattern}$`).test(path)) return route.operation
    }
    return undefined
  }

  /**
   * Posts a form; the CSRF token of the last page is added unless _csrf is
   * given (null: none). A route that re-confirms is refused here unless the
   * form carries the proof itself: use postConfirmed, postPrompted,
   * postStillConfirmed, postRefused or postInvalid, which say whether a prompt comes.
   */
  async post (url: string, form: Form): Promise<Answer> {
    const op = this.reconfirmedOperation(url)
    if (op !== undefined && form.proof === undefined) {
      throw new Error(`POST ${url} is re-confirmed (${op}): use postConfirmed, postPrompted, postStillConfirmed, postRefused or postInvalid, so that the test says whether the prompt comes`)
    }
    return await this.send(url, form)
  }

  /** The POST itself, for the methods that check what comes back. */
  private async send (url: string, form: Form): Promise<Answer> {
    const params = new URLSearchParams()
    const fields: Form = { _csrf: this.lastCsrf ?? null, ...form }
    for (const [k, v] of Object.entries(fields)) {
      if (v === null) continue
      for (const one of Array.isArray(v) ? v : [v]) params.append(k, one)
    }
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { ...this.headers, cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      payload: params.toString(),
      remoteAddress: this.remoteAddress
    })
    this.keep(res)
    const m = res.body.match(/name="_csrf" value="([^"]+)"/)
    if (m !== null) this.lastCsrf = m[1]
    return res
  }

  private reconfirmed (url: string, helper: string): string {
    const op = this.reconfirmedOperation(url)
    if (op === undefined) throw new Error(`${helper}: POST ${url} is not a re-confirmed route (app.routeTable)`)
    return op
  }

  /**
   * Posts a form to a re-confirmed route and expects the prompt (200, the
   * re-confirmation form); throws when it does not come. Returns the prompt,
   * unanswered: answer it with confirm().
   */
  async postPrompted (url: string, form: Form): Promise<Answer> {
    const op = this.reconfirmed(url, 'postPrompted')
    const res = await this.send(url, form)
    if (res.statusCode !== 200 || !Agent.isPrompt(res)) {
      throw new Error(`POST ${url} (${op}): expected the re-confirmation prompt (200), got ${res.statusCode}${Agent.isPrompt(res) ? ' with the prompt' : ' and no prompt'}`)
    }
    return res
  }

  /**
   * Posts a form to a re-confirmed route, expects the prompt (throws when it
   * does not come), answers it with the proof (the password, or a One-time
   * password with 2FA) and the secrets typed in the form again, and returns
   * the operation's answer; throws when the proof is refused.
   */
  async postConfirmed (url: string, form: Form, proof: string): Promise<Answer> {
    const prompt = await this.postPrompted(url, form)
    const secrets = Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === 'string'))
    const res = await this.confirm(prompt, proof, secrets)
    if (Agent.isPrompt(res)) {
      const why = res.body.match(/<p class="error" id="e-proof">([^<]*)<\/p>/)?.[1] ?? 'no message'
      throw new Error(`POST ${url}: the proof was refused (${res.statusCode}: ${why})`)
    }
    return res
  }

  /**
   * Posts a form to a re-confirmed route while a confirmation of the same
   * operation and target is live (CONFIRM_SECONDS since the proof, in this
   * session): expects no prompt, throws when one comes.
   */
  async postStillConfirmed (url: string, form: Form): Promise<Answer> {
    const op = this.reconfirmed(url, 'postStillConfirmed')
    const res = await this.send(url, form)
    if (Agent.isPrompt(res)) throw new Error(`POST ${url} (${op}): expected no prompt (a live confirmation), got the prompt (${res.statusCode})`)
    return res
  }

  /**
   * Posts a form to a route that re-confirms only some requests (Main
   * settings: only a change that narrows access), with a form that needs no
   * confirmation: expects no prompt, throws when one comes.
   */
  async postUnprompted (url: string, form: Form): Promise<Answer> {
    const op = this.reconfirmed(url, 'postUnprompted')
    const res = await this.send(url, form)
    if (Agent.isPrompt(res)) throw new Error(`POST ${url} (${op}): expected no prompt for this form, got the prompt (${res.statusCode})`)
    return res
  }

  /**
   * Posts a form to a re-confirmed route that refuses it before any prompt
   * (no access to the route or to its target): expects a 4xx and no prompt;
   * throws otherwise.
   */
  async postRefused (url: string, form: Form): Promise<Answer> {
    const op = this.reconfirmed(url, 'postRefused')
    const res = await this.send(url, form)
    if (Agent.isPrompt(res) || res.statusCode < 400) {
      throw new Error(`POST ${url} (${op}): expected a refusal before any prompt, got ${res.statusCode}${Agent.isPrompt(res) ? ' with the prompt' : ''}`)
    }
    return res
  }

  /**
   * Posts a form with bad input to a re-confirmed route: expects the form
   * again (422, the messages beside the fields) and no prompt, since input
   * is checked before anything is asked; throws otherwise.
   */
  async postInvalid (url: string, form: Form): Promise<Answer> {
    const op = this.reconfirmed(url, 'postInvalid')
    const res = await this.send(url, form)
    if (Agent.isPrompt(res) || res.statusCode !== 422) {
      throw new Error(`POST ${url} (${op}): expected the form again (422) before any prompt, got ${res.statusCode}${Agent.isPrompt(res) ? ' with the prompt' : ''}`)
    }
    return res
  }

  async logIn (base: string, email: string, password: string) {
    await this.get(`${base}login`)
    return await this.post(`${base}login`, { email, password })
  }
}

export function flashOf (html: string): string | undefined {
  return html.match(/class="flash flash-\w+"[^>]*>([^<]*)</)?.[1]
}

/** Another (non-owner) user of the account, straight into the database. */
export async function createUser (ta: TestApp, accountId: string, email: string, password = 'a long enough passphrase', name = 'Uma User'): Promise<{ userId: string, email: string, password: string }> {
  const { hashPassword } = await import('../../src/lib/passwords.ts')
  const row = await ta.app.deps.db.insertInto('users').values({ account_id: accountId, email, full_name: name, password_hash: await hashPassword(password) })
    .returning('id').executeTakeFirstOrThrow()
  return { userId: row.id, email, password }
}

/** Gives the user these permissions, straight into the database. */
export async function grantPermissions (ta: TestApp, userId: string, ...permissions: string[]): Promise<void> {
  await ta.app.deps.db.insertInto('user_permissions').values(permissions.map((permission) => ({ user_id: userId, permission }))).execute()
}

/** A signed-in agent that has opened its profile (so it holds a CSRF token). */
export async function signIn (ta: TestApp, email: string, password: string, headers: Record<string, string> = {}): Promise<Agent> {
  const a = new Agent(ta.app, headers)
  const res = await a.logIn(ta.base, email, password)
  if (res.statusCode !== 303) throw new Error(`login failed for ${email}: ${res.statusCode}`)
  await a.get(`${ta.base}client/profile`)
  return a
}

/** The text of the error message beside a field, if any. */
export function fieldError (html: string, name: string): string | undefined {
  return html.match(new RegExp(`<p class="error" id="e-${name}">([^<]*)</p>`))?.[1]
}
