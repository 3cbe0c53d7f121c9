// What provider operations return: plain data and typed reasons, no CLI or
// HTTP wording. The adapters (the CLI's command table, later the provider
// API) turn a reason into their own message and exit code or status.
import type { Deps } from '../../types.ts'

/** What every provider operation needs: no request, no signed-in user (the provider is trusted). */
export type ProviderDeps = Pick<Deps, 'db' | 'clock' | 'config'>

/** A user as the provider sees it (SPEC §6). */
export interface ProviderUser {
  id: string
  accountId: string
  email: string
  name: string
  phone: string | null
  phoneVerified: boolean
  status: 'active' | 'disabled'
  /** The account's first user. */
  owner: boolean
  /** Two-factor authentication is on. */
  twoFactor: boolean
  /** ISO 8601, UTC. */
  lastLoginAt: string | null
}

/** The rule a refused password breaks. */
export type PasswordRule = 'too_short' | 'too_long' | 'common' | 'same_as_email'

export type NotFound = { ok: false, reason: 'not_found' }
export type EmailRefused = { ok: false, reason: 'invalid_email' | 'email_taken' }
export type NameRefused = { ok: false, reason: 'invalid_name' }
export type StatusRefused = { ok: false, reason: 'invalid_status' }
export type PasswordRefused = { ok: false, reason: 'weak_password', rule: PasswordRule }

/** Every expected failure of a provider operation. */
export type Failure = NotFound | EmailRefused | NameRefused | StatusRefused | PasswordRefused
export type Reason = Failure['reason']

export type CreateAccountResult =
  | { ok: true, accountId: string, userId: string, inviteUrl?: string }
  | EmailRefused | NameRefused | PasswordRefused

export type FindUserResult = { ok: true, user: ProviderUser } | NotFound

export interface UserChanges {
  email?: string
  name?: string
  /** Typed loosely on purpose: an API body may carry anything; anything else is invalid_status. */
  status?: 'active' | 'disabled' | (string & {})
}
export type UpdateUserResult = { ok: true, user: ProviderUser } | NotFound | EmailRefused | NameRefused | StatusRefused

/** deleteUser, removePhone, resetTwoFactor: the user's id as stored. */
export type UserOperationResult = { ok: true, userId: string } | NotFound

export type PermissionsResult = { ok: true, userId: string, fullAccess: boolean, permissions: string[] } | NotFound

/**
 * Who called a provider operation: the provider API passes the client's IP,
 * the CLI none. Changes are recorded as done by "provider" with that IP.
 */
export interface ProviderCaller { ip: string | null }
