// SSO handoff (SPEC §6): the provider asks for a single-use link that signs
// a user in. CONTRACT ONLY: the sso feature's work replaces this file; the
// provider API (POST /provider-api/v1/sso) and the CLI (sso:create) call
// createSsoLink and nothing else.
import type { NotFound, ProviderCaller, ProviderDeps } from '../provider/index.ts'

export type SsoLinkResult =
  | { ok: true, url: string, expiresAt: string }
  | NotFound
  /** The user is disabled: no link. */
  | { ok: false, reason: 'user_disabled' }
  /** returnTo is not a local path under BASE_PATH. */
  | { ok: false, reason: 'invalid_return_to' }

/** A single-use link (128-bit token, stored hashed, 60 s) that signs the user in after one click. */
export async function createSsoLink (_deps: ProviderDeps, _input: { userId: string, returnTo?: string }, _caller: ProviderCaller = { ip: null }): Promise<SsoLinkResult> {
  throw new Error('createSsoLink: not written yet (contract for the provider API)')
}
