// External authorization services (SPEC §4.4), as the provider lists them in
// AUTH_PROVIDERS_FILE: a JSON array of
//   OpenID Connect: {"id", "name", "issuer", "clientId", "clientSecret", "scopes"}
//   OAuth 2.0:      {"id", "name", "authorizationUrl", "tokenUrl", "userinfoUrl",
//                    "subjectField", "clientId", "clientSecret", "scopes"}
// Guarantees: ids are unique safe slugs (they are path segments and form
// values); every service has its client id and secret; every URL is https,
// or http on a loopback address only (a local identity provider in
// development and tests); no key the product does not read is accepted, so
// a typo ("clientSecrte") stops the service instead of being ignored.
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'

interface Common {
  /** Path segment of /auth/<id>/start and /auth/<id>/callback. */
  id: string
  /** "Log in with <name>". */
  name: string
  clientId: string
  clientSecret: string
  scopes: readonly string[]
}

/** Discovery from the issuer; the subject is the ID token's `sub`. */
export interface OidcService extends Common { kind: 'oidc', issuer: string }

/** No ID token: the subject is `subjectField` of the userinfo answer. */
export interface OAuthService extends Common {
  kind: 'oauth2'
  authorizationUrl: string
  tokenUrl: string
  userinfoUrl: string
  subjectField: string
}

export type AuthService = OidcService | OAuthService

export const SERVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/
const FIELD = /^[A-Za-z0-9_.-]{1,64}$/
const COMMON_KEYS = ['id', 'name', 'clientId', 'clientSecret', 'scopes']
const OIDC_KEYS = new Set([...COMMON_KEYS, 'issuer'])
const OAUTH_KEYS = new Set([...COMMON_KEYS, 'authorizationUrl', 'tokenUrl', 'userinfoUrl', 'subjectField'])

/** The namespace of a service's subjects, stored with each link: the issuer, or the userinfo endpoint of a plain OAuth 2.0 service. */
export function issuerOf (service: AuthService): string {
  return service.kind === 'oidc' ? service.issuer : service.userinfoUrl
}

/**
 * A service as records name it (its id: sign-ins, the activity log) → its
 * name as configured now, or the id when it is no longer configured.
 */
export function serviceNameOf (services: readonly AuthService[], id: string): string {
  return services.find((s) => s.id === id)?.name ?? id
}

/**
 * Where "Log in with …" and Bind send the browser, as far as the
 * configuration tells: the issuer's origin (discovery usually puts the
 * authorization endpoint there) or the authorization URL's. The CSP's
 * form-action lists them, since Chromium applies it to the redirect a form
 * post answers with.
 */
export function authorizationOrigins (services: readonly AuthService[]): string[] {
  return [...new Set(services.map((s) => new URL(s.kind === 'oidc' ? s.issuer : s.authorizationUrl).origin))]
}

function isLoopback (hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1')
}

/** An absolute https URL, or http on a loopback address; no credentials, no fragment. */
function serviceUrl (where: string, key: string, value: unknown, opts: { query: boolean }): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${where}: "${key}" must be a URL`)
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new Error(`${where}: "${key}" is not a valid URL: "${value}"`)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${where}: "${key}" must be an https URL, got "${value}"`)
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
    throw new Error(`${where}: "${key}" must use https (plain http only on a loopback address such as 127.0.0.1), got "${value}"`)
  }
  if (u.username !== '' || u.password !== '') throw new Error(`${where}: "${key}" must not carry credentials`)
  if (u.hash !== '' || (!opts.query && u.search !== '')) throw new Error(`${where}: "${key}" must not have a ${u.hash !== '' ? 'fragment' : 'query'}`)
  return value
}

function text (where: string, key: string, value: unknown, max: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (typeof value !== 'string' || value.trim() === '' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new Error(`${where}: "${key}" must be a non-empty string of at most ${max} characters on one line`)
  }
  return value
}

function scopes (where: string, value: unknown, oidc: boolean): string[] {
  if (value === undefined) return oidc ? ['openid', 'email', 'profile'] : []
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || !SCOPE.test(s))) {
    throw new Error(`${where}: "scopes" must be an array of scope names such as ["openid", "email"]`)
  }
  const list = [...new Set(value as string[])]
  if (oidc && !list.includes('openid')) throw new Error(`${where}: "scopes" of an OpenID Connect service must include "openid"`)
  return list
}

function parseService (item: unknown, i: number): AuthService {
  let where = `[${i}]`
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Error(`${where} must be an object`)
  const o = item as Record<string, unknown>
  if (typeof o.id !== 'string' || !SERVICE_ID.test(o.id)) {
    throw new Error(`${where}: "id" must be 1 to 32 lowercase letters, digits and inner hyphens (such as "google"), got ${JSON.stringify(o.id)}`)
  }
  where = `[${i}] "${o.id}"`
  const oidc = 'issuer' in o
  const allowed = oidc ? OIDC_KEYS : OAUTH_KEYS
  const unknown = Object.keys(o).filter((k) => !allowed.has(k))
  if (unknown.length > 0) {
    throw new Error(`${where}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}${oidc ? ' (an OpenID Connect service gives "issuer" and no endpoints)' : ''}`)
  }
  if (typeof o.clientSecret !== 'string' || o.clientSecret === '') throw new Error(`${where}: "clientSecret" is missing`)
  const common = {
    id: o.id,
    name: text(where, 'name', o.name, 100),
    clientId: text(where, 'clientId', o.clientId, 500),
    clientSecret: o.clientSecret,
    scopes: scopes(where, o.scopes, oidc)
  }
  if (oidc) return { kind: 'oidc', ...common, issuer: serviceUrl(where, 'issuer', o.issuer, { query: false }) }
  for (const key of ['authorizationUrl', 'tokenUrl', 'userinfoUrl', 'subjectField']) {
    if (o[key] === undefined) throw new Error(`${where}: "${key}" is missing (or give "issuer" for an OpenID Connect service)`)
  }
  if (typeof o.subjectField !== 'string' || !FIELD.test(o.subjectField)) throw new Error(`${where}: "subjectField" must be the name of a field of the userinfo answer, such as "id"`)
  return {
    kind: 'oauth2',
    ...common,
    authorizationUrl: serviceUrl(where, 'authorizationUrl', o.authorizationUrl, { query: true }),
    tokenUrl: serviceUrl(where, 'tokenUrl', o.tokenUrl, { query: false }),
    userinfoUrl: serviceUrl(where, 'userinfoUrl', o.userinfoUrl, { query: true }),
    subjectField: o.subjectField
  }
}

/** The services of a file's JSON text; throws with what is wrong. */
export function parseAuthServices (json: string): AuthService[] {
  let data: unknown
  try {
    data = JSON.parse(json)
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`)
  }
  if (!Array.isArray(data)) throw new Error('must be a JSON array of services')
  const services = data.map(parseService)
  const seen = new Set<string>()
  for (const s of services) {
    if (seen.has(s.id)) throw new Error(`the id "${s.id}" is listed twice`)
    seen.add(s.id)
  }
  return services
}

/** AUTH_PROVIDERS_FILE's services, or none when it is unset. */
export function loadAuthServices (file: string | undefined): AuthService[] {
  return file === undefined ? [] : parseAuthServices(readFileSync(file, 'utf8'))
}
