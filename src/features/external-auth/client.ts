// The authorization code flow with an external service, through
// openid-client. Guarantees:
// - every flow carries a fresh state, a PKCE verifier (S256) and, for OpenID
//   Connect, a nonce; they stay in the server-side session and never reach
//   the page;
// - the callback is accepted only for the flow this session started (same
//   service, same state), once; the ID token is verified (signature, issuer,
//   audience, expiry, nonce) by openid-client; the subject is the ID token's
//   `sub`, or the configured field of a plain OAuth 2.0 service's userinfo;
// - the issuer's metadata is discovered on first use and kept (public
//   metadata, per app): an issuer that is down delays its own sign-ins only,
//   and is asked again next time.
import * as oidc from 'openid-client'
import type { Config } from '../../config.ts'
import { type AuthService, issuerOf } from '../../lib/auth-services.ts'

/** How long a started flow waits for its callback. */
export const FLOW_SECONDS = 10 * 60
const TIMEOUT_SECONDS = 10

/** A started flow, kept in the session until its callback. */
export interface Flow {
  service: string
  state: string
  verifier: string
  nonce?: string
  intent: 'login' | 'bind'
  /** bind: the user who asked (the callback must come to that user's session). */
  userId?: string
  returnTo?: string
  at: number
}

/** What the service says about the person. */
export interface Identity { issuer: string, subject: string, display: string | null }

/** Why a callback failed, as the failure page says it. */
export type FlowFailure = 'denied' | 'invalid' | 'unavailable' | 'token'

export function redirectUri (config: Pick<Config, 'linkBase'>, service: AuthService): string {
  return `${config.linkBase}auth/${service.id}/callback`
}

const isLoopbackHttp = (url: string): boolean => url.startsWith('http:')

export interface ServiceClients {
  start: (service: AuthService, flow: Omit<Flow, 'state' | 'verifier' | 'nonce' | 'service' | 'at'>, now: Date) => Promise<{ ok: true, url: string, flow: Flow } | { ok: false, reason: 'unavailable' }>
  finish: (service: AuthService, flow: Flow, query: URLSearchParams) => Promise<{ ok: true, identity: Identity } | { ok: false, reason: FlowFailure, detail: string }>
}

/** The clients of the configured services, for one app: discovery results are kept here. */
export function serviceClients (config: Pick<Config, 'linkBase'>): ServiceClients {
  const discovered = new Map<string, Promise<oidc.Configuration>>()

  function configurationOf (service: AuthService): Promise<oidc.Configuration> {
    if (service.kind === 'oauth2') {
      const c = new oidc.Configuration({
        issuer: issuerOf(service),
        authorization_endpoint: service.authorizationUrl,
        token_endpoint: service.tokenUrl,
        userinfo_endpoint: service.userinfoUrl
      }, service.clientId, service.clientSecret)
      if ([service.authorizationUrl, service.tokenUrl, service.userinfoUrl].some(isLoopbackHttp)) oidc.allowInsecureRequests(c)
      c.timeout = TIMEOUT_SECONDS
      return Promise.resolve(c)
    }
    let pending = discovered.get(service.id)
    if (pending === undefined) {
      pending = oidc.discovery(new URL(service.issuer), service.clientId, service.clientSecret, undefined, {
        timeout: TIMEOUT_SECONDS,
        execute: isLoopbackHttp(service.issuer) ? [oidc.allowInsecureRequests] : []
      })
      discovered.set(service.id, pending)
      // A failed discovery is not kept: the next sign-in asks again.
      pending.catch(() => { if (discovered.get(service.id) === pending) discovered.delete(service.id) })
    }
    return pending
  }

  return {
    async start (service, wanted, now) {
      let c: oidc.Configuration
      try {
        c = await configurationOf(service)
      } catch {
        return { ok: false, reason: 'unavailable' }
      }
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const nonce = service.kind === 'oidc' ? oidc.randomNonce() : undefined
      const params: Record<string, string> = {
        redirect_uri: redirectUri(config, service),
        response_type: 'code',
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256'
      }
      if (service.scopes.length > 0) params.scope = service.scopes.join(' ')
      if (nonce !== undefined) params.nonce = nonce
      const url = oidc.buildAuthorizationUrl(c, params).href
      return { ok: true, url, flow: { ...wanted, service: service.id, state, verifier, nonce, at: now.getTime() } }
    },

    async finish (service, flow, query) {
      const error = query.get('error')
      if (error !== null) return { ok: false, reason: error === 'access_denied' ? 'denied' : 'token', detail: `authorization error ${error.slice(0, 64)}` }
      if (query.get('state') !== flow.state) return { ok: false, reason: 'invalid', detail: 'state does not match' }
      let c: oidc.Configuration
      try {
        c = await configurationOf(service)
      } catch (err) {
        return { ok: false, reason: 'unavailable', detail: (err as Error).message }
      }
      // The URL the service redirected to, as registered (PUBLIC_URL), with the answer's parameters.
      const current = new URL(redirectUri(config, service))
      current.search = query.toString()
      try {
        const tokens = await oidc.authorizationCodeGrant(c, current, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: service.kind === 'oidc'
        })
        if (service.kind === 'oidc') {
          const claims = tokens.claims()
          if (claims === undefined) return { ok: false, reason: 'invalid', detail: 'no ID token' }
          return { ok: true, identity: { issuer: issuerOf(service), subject: claims.sub, display: displayOf(claims) } }
        }
        const res = await oidc.fetchProtectedResource(c, tokens.access_token, new URL(service.userinfoUrl), 'GET')
        if (!res.ok) return { ok: false, reason: 'token', detail: `userinfo answered ${res.status}` }
        const info = await res.json() as Record<string, unknown>
        const subject = info[service.subjectField]
        if (!((typeof subject === 'string' && subject !== '') || (typeof subject === 'number' && Number.isSafeInteger(subject)))) {
          return { ok: false, reason: 'token', detail: `userinfo has no "${service.subjectField}"` }
        }
        return { ok: true, identity: { issuer: issuerOf(service), subject: String(subject), display: displayOf(info) } }
      } catch (err) {
        return { ok: false, ...classify(err) }
      }
    }
  }
}

// A network failure (refused, timed out) is the service being down; an error
// answer of its endpoints is 'token'; anything that fails a check
// (nonce, ID token, state) is 'invalid'.
function classify (err: unknown): { reason: FlowFailure, detail: string } {
  const e = err as Error & { code?: string, cause?: unknown }
  const detail = `${e.name}: ${e.message}`.slice(0, 300)
  if (e instanceof oidc.ResponseBodyError || e instanceof oidc.AuthorizationResponseError) return { reason: 'token', detail }
  if (e instanceof oidc.WWWAuthenticateChallengeError) return { reason: 'token', detail }
  // fetch's own failure (TypeError: fetch failed) comes wrapped in a ClientError.
  const network = (x: unknown): boolean => x instanceof TypeError || ['OAUTH_TIMEOUT', 'OAUTH_ABORT'].includes((x as { code?: string } | undefined)?.code ?? '')
  if (network(e) || network(e.cause)) return { reason: 'unavailable', detail }
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_JSON' || e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') return { reason: 'token', detail }
  return { reason: 'invalid', detail }
}

/** The name or email the service gave, to show with the link (at most 200 characters). */
function displayOf (claims: Record<string, unknown>): string | null {
  for (const key of ['email', 'name', 'preferred_username', 'login', 'username']) {
    const v = claims[key]
    // eslint-disable-next-line no-control-regex -- shown on a page: no control characters
    if (typeof v === 'string' && v.trim() !== '') return v.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200)
  }
  return null
}
