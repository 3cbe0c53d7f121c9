// Identity providers on loopback for the external sign-in tests:
// - a real OpenID Connect provider (oidc-provider) with its own development
//   login and consent pages ("devInteractions": any login name is the
//   account id), which tests drive over HTTP or in Chromium;
// - a small plain OAuth 2.0 server (node:http) for the services without an
//   ID token (VK, GitHub style): it authorizes at once as the user signed
//   in there, checks PKCE and the redirect URI at its token endpoint and
//   answers userinfo with {"id", "login", "email"}. Who is signed in there
//   is the test's to say (`signedIn`), as a person already signed in at GitHub.
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import Provider from 'oidc-provider'
import { listenOn } from './listen.ts'

export interface Account { email?: string, name?: string }

export interface OidcServer {
  issuer: string
  clientId: string
  clientSecret: string
  stop: () => Promise<void>
  /** Starts it again on the same port (after stop). */
  restart: () => Promise<void>
}

async function listen (server: Server, port = 0): Promise<number> {
  await listenOn(server, port)
  return (server.address() as AddressInfo).port
}

async function close (server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** An OpenID Connect provider at http://127.0.0.1:<port>, one confidential client for these redirect URIs. */
export async function startOidcProvider (opts: { redirectUris: string[], accounts?: Record<string, Account> }): Promise<OidcServer> {
  const server = createServer()
  const port = await listen(server)
  const issuer = `http://127.0.0.1:${port}`
  const clientId = 'client-area'
  const clientSecret = randomBytes(16).toString('hex')
  const accounts = opts.accounts ?? {}
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: opts.redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    // Claims in the ID token itself, as Keycloak and Google put them there.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, ...accounts[id] }) }),
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    features: { devInteractions: { enabled: true } }
  })
  // Koa's handler returns a promise that it settles itself.
  const callback = provider.callback()
  const handler = (req: IncomingMessage, res: ServerResponse): void => { void callback(req, res) }
  server.on('request', handler)
  let current: Server | undefined = server
  return {
    issuer,
    clientId,
    clientSecret,
    stop: async () => {
      if (current !== undefined) await close(current)
      current = undefined
    },
    restart: async () => {
      if (current !== undefined) return
      const next = createServer(handler)
      await listen(next, port)
      current = next
    }
  }
}

/** A plain OAuth 2.0 service at http://127.0.0.1:<port>/authorize, /token and /user. */
export interface OAuthServer { url: string, signedIn: string, stop: () => Promise<void> }

export async function startOAuthServer (opts: { clientId: string, clientSecret: string, users: Record<string, { id: number, email?: string }> }): Promise<OAuthServer> {
  const codes = new Map<string, { login: string, challenge: string, redirect: string }>()
  const self: OAuthServer = { url: '', signedIn: '', stop: async () => { await close(server) } }
  const tokens = new Map<string, string>()
  const server = createServer((req, res) => { handle(req).then(([status, type, body, location]) => {
    res.writeHead(status, { 'content-type': type, ...(location === undefined ? {} : { location }) })
    res.end(body)
  }, (err: Error) => { res.writeHead(500); res.end(err.message) }) })
  async function body (req: IncomingMessage): Promise<URLSearchParams> {
    let text = ''
    for await (const chunk of req) text += String(chunk)
    return new URLSearchParams(text)
  }
  async function handle (req: IncomingMessage): Promise<[number, string, string, string?]> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const json = (status: number, v: unknown): [number, string, string] => [status, 'application/json', JSON.stringify(v)]
    if (url.pathname === '/authorize') {
      const q = url.searchParams
      if (q.get('client_id') !== opts.clientId || q.get('code_challenge_method') !== 'S256') return json(400, { error: 'invalid_request' })
      const redirect = new URL(q.get('redirect_uri') ?? '')
      const code = randomBytes(16).toString('hex')
      codes.set(code, { login: self.signedIn, challenge: q.get('code_challenge') ?? '', redirect: redirect.href })
      redirect.searchParams.set('code', code)
      redirect.searchParams.set('state', q.get('state') ?? '')
      return [302, 'text/plain', '', redirect.href]
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const form = await body(req)
      const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString()
      const [id, secret] = basic === '' ? [form.get('client_id'), form.get('client_secret')] : basic.split(':').map(decodeURIComponent)
      if (id !== opts.clientId || secret !== opts.clientSecret) return json(401, { error: 'invalid_client' })
      const grant = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const verifier = form.get('code_verifier') ?? ''
      if (grant === undefined || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge || form.get('redirect_uri') !== grant.redirect) return json(400, { error: 'invalid_grant' })
      const token = randomBytes(16).toString('hex')
      tokens.set(token, grant.login)
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600 })
    }
    if (url.pathname === '/user') {
      const login = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
      const user = login === undefined ? undefined : opts.users[login]
      if (user === undefined) return json(401, { error: 'invalid_token' })
      return json(200, { id: user.id, login, email: user.email })
    }
    return json(404, { error: 'not_found' })
  }
  const port = await listen(server)
  self.url = `http://127.0.0.1:${port}`
  return self
}

/** Writes AUTH_PROVIDERS_FILE into dir and returns its path. */
export function writeServicesFile (dir: string, services: unknown[]): string {
  const file = path.join(dir, `auth-providers-${randomBytes(4).toString('hex')}.json`)
  writeFileSync(file, JSON.stringify(services))
  return file
}

/**
 * A person's browser at the identity provider: follows its redirects with
 * its own cookies and fills in its development pages (login, then consent),
 * until it redirects to `until` (the app's callback). Returns that URL.
 * deny: presses Cancel at the login page instead (access_denied).
 */
export async function authorizeAt (startUrl: string, login: string, until: string, opts: { deny?: boolean } = {}): Promise<string> {
  const cookies = new Map<string, string>()
  let url = startUrl
  let form: URLSearchParams | undefined
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(until)) return url
    const res = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      body: form?.toString()
    })
    form = undefined
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';')
      const i = pair.indexOf('=')
      cookies.set(pair.slice(0, i), pair.slice(i + 1))
    }
    const location = res.headers.get('location')
    if (location !== null) {
      url = new URL(location, url).href
      continue
    }
    const html = await res.text()
    if (res.status !== 200) throw new Error(`identity provider answered ${res.status} at ${url}: ${html.slice(0, 300)}`)
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1]
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    if (prompt === undefined || action === undefined) throw new Error(`no form at ${url}: ${html.slice(0, 300)}`)
    if (opts.deny === true) {
      url = new URL(/href="([^"]*abort[^"]*)"/.exec(html)![1]!.replace(/&amp;/g, '&'), url).href
      continue
    }
    form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt })
    url = new URL(action.replace(/&amp;/g, '&'), url).href
  }
  throw new Error(`no redirect to ${until} after 20 steps`)
}
