// The provider's CLI commands (SPEC §6): adapters from flags to one
// operation and from its typed result to JSON or a message that names the
// flag at fault. A user is named by --email (as always) or --id.
import type { Command, CommandDeps, CommandOutcome, CommandValues } from '../../lib/commands.ts'
import { PASSWORD_MAX, PASSWORD_MIN } from '../../lib/passwords.ts'
import { createAccount } from './accounts.ts'
import type { Failure, PasswordRule, ProviderCaller, Reason } from './results.ts'
import { clearIpList, deleteUser, findUsersByEmail, permissionsOf, removePhone, resetTwoFactor, updateUser } from './users.ts'

/** The CLI has no client IP: its changes are recorded as the provider's, without one. */
const CLI: ProviderCaller = { ip: null }

const passwordRuleText: Record<PasswordRule, string> = {
  too_short: `use at least ${PASSWORD_MIN} characters`,
  too_long: `use at most ${PASSWORD_MAX} characters`,
  common: 'this password is too common',
  same_as_email: 'the password must not be the email'
}

/** What is wrong with the flag's value, for each reason an operation gives. */
const reasonText: { [R in Reason]: (flag: string, value: string, failure: Extract<Failure, { reason: R }>) => string } = {
  not_found: (flag, value) => `no user has the ${flag} ${value}`,
  invalid_email: (_, value) => `"${value}" is not an email address`,
  email_taken: (_, value) => `${value.trim().toLowerCase()} is already used by another user`,
  invalid_name: () => 'give a full name of 1 to 200 characters on one line',
  invalid_status: () => 'use active or disabled',
  weak_password: (_, __, failure) => passwordRuleText[failure.rule]
}

/** The flag that carries the value a reason is about, unless a command says otherwise. */
const reasonFlag: Record<Exclude<Reason, 'not_found'>, string> = {
  invalid_email: 'email', email_taken: 'email', invalid_name: 'name', invalid_status: 'status', weak_password: 'password'
}

type FlagOverrides = Partial<Record<Reason, string>>

function failed (failure: Failure, values: CommandValues, overrides: FlagOverrides = {}): CommandOutcome {
  const flag = overrides[failure.reason] ?? (failure.reason === 'not_found' ? (values.id !== undefined ? 'id' : 'email') : reasonFlag[failure.reason])
  const text = (reasonText[failure.reason] as (flag: string, value: string, failure: Failure) => string)(flag, values[flag] ?? '', failure)
  return { ok: false, error: `--${flag}: ${text}` }
}

/** The user the flags name: --id as given (the operation finds it or not), or the one user whose login is --email. */
async function userIdFrom (deps: CommandDeps, values: CommandValues): Promise<string | undefined> {
  if (values.id !== undefined) return values.id
  return (await findUsersByEmail(deps, values.email ?? ''))[0]?.id
}

interface UserCommand<R extends { ok: true } | Failure> {
  name: string
  /** The arguments after the user's. */
  usage?: string
  options?: readonly string[]
  required?: readonly string[]
  /** Which flag a reason is about, when not the usual one (user:set-email's --to). */
  flags?: FlagOverrides
  act: (deps: CommandDeps, userId: string, values: CommandValues) => Promise<R>
  print: (result: Extract<R, { ok: true }>, values: CommandValues) => Record<string, unknown>
}

/** A command on one user, named by exactly one of --email and --id. */
function userCommand<R extends { ok: true } | Failure> (spec: UserCommand<R>): Command {
  return {
    name: spec.name,
    usage: `(--email EMAIL | --id USER_ID)${spec.usage === undefined ? '' : ` ${spec.usage}`}`,
    options: ['email', 'id', ...spec.options ?? []],
    required: spec.required,
    exactlyOne: [['email', 'id']],
    run: async (deps, values) => {
      const userId = await userIdFrom(deps, values)
      if (userId === undefined) return failed({ ok: false, reason: 'not_found' }, values)
      const result = await spec.act(deps, userId, values)
      if (!result.ok) return failed(result, values, spec.flags)
      return { ok: true, out: spec.print(result as Extract<R, { ok: true }>, values) }
    }
  }
}

export const commands: readonly Command[] = [
  {
    name: 'account:create',
    usage: '--email EMAIL --name "FULL NAME" [--password PASSWORD]',
    options: ['email', 'name', 'password'],
    required: ['email', 'name'],
    run: async (deps, v) => {
      const result = await createAccount(deps, { email: v.email ?? '', name: v.name ?? '', password: v.password }, CLI)
      if (!result.ok) return failed(result, v)
      const { accountId, userId, inviteUrl } = result
      return { ok: true, out: inviteUrl === undefined ? { accountId, userId } : { accountId, userId, inviteUrl } }
    }
  },
  userCommand({
    name: 'user:remove-phone',
    act: async (deps, id) => await removePhone(deps, id, CLI),
    print: (r) => ({ userId: r.userId, phone: null })
  }),
  userCommand({
    name: 'user:set-email',
    usage: '--to NEW_EMAIL',
    options: ['to'],
    required: ['to'],
    flags: { invalid_email: 'to', email_taken: 'to' },
    act: async (deps, id, v) => await updateUser(deps, id, { email: v.to }, CLI),
    print: (r) => ({ userId: r.user.id, email: r.user.email })
  }),
  userCommand({
    name: 'user:set-name',
    usage: '--name "FULL NAME"',
    options: ['name'],
    required: ['name'],
    act: async (deps, id, v) => await updateUser(deps, id, { name: v.name }, CLI),
    print: (r) => ({ userId: r.user.id })
  }),
  userCommand({
    name: 'user:disable',
    act: async (deps, id) => await updateUser(deps, id, { status: 'disabled' }, CLI),
    print: (r) => ({ userId: r.user.id, status: r.user.status })
  }),
  userCommand({
    name: 'user:enable',
    act: async (deps, id) => await updateUser(deps, id, { status: 'active' }, CLI),
    print: (r) => ({ userId: r.user.id, status: r.user.status })
  }),
  userCommand({
    name: 'user:delete',
    act: async (deps, id) => await deleteUser(deps, id, CLI),
    print: (r) => ({ userId: r.userId, deleted: true })
  }),
  userCommand({
    name: 'user:permissions',
    act: async (deps, id) => await permissionsOf(deps, id),
    print: (r) => ({ userId: r.userId, fullAccess: r.fullAccess, permissions: r.permissions })
  }),
  userCommand({
    name: 'user:reset-2fa',
    act: async (deps, id) => await resetTwoFactor(deps, id, CLI),
    print: (r) => ({ userId: r.userId, twoFactor: false })
  }),
  userCommand({
    name: 'user:clear-ip-list',
    act: async (deps, id) => await clearIpList(deps, id, CLI),
    print: (r) => ({ userId: r.userId, ipAccess: 'any', ipAllowList: [] })
  })
]
