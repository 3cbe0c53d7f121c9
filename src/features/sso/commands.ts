// sso:create (SPEC §6): an adapter from flags to createSsoLink and from its
// result to JSON ({url, expiresAt}) or a message naming the flag at fault,
// like the provider's user commands (src/features/provider/commands.ts).
import type { Command, CommandOutcome, CommandValues } from '../../lib/commands.ts'
import { findUserByEmail } from '../auth/index.ts'
import { createSsoLink, type SsoLinkResult } from './service.ts'

function refused (result: Exclude<SsoLinkResult, { ok: true }>, values: CommandValues, basePath: string): CommandOutcome {
  const flag = values.id !== undefined ? 'id' : 'email'
  switch (result.reason) {
    case 'not_found': return { ok: false, error: `--${flag}: no user has the ${flag} ${values[flag] ?? ''}` }
    case 'user_disabled': return { ok: false, error: `--${flag}: the user ${values[flag] ?? ''} is disabled` }
    case 'invalid_return_to': return { ok: false, error: `--return-to: give a path of this site under ${basePath}, such as ${basePath}client/profile` }
  }
}

export const commands: readonly Command[] = [{
  name: 'sso:create',
  usage: '(--email EMAIL | --id USER_ID) [--return-to PATH]',
  options: ['email', 'id', 'return-to'],
  exactlyOne: [['email', 'id']],
  run: async (deps, values) => {
    const userId = values.id ?? (await findUserByEmail(deps.db, values.email ?? ''))?.id
    if (userId === undefined) return refused({ ok: false, reason: 'not_found' }, values, deps.config.basePath)
    const result = await createSsoLink(deps, { userId, returnTo: values['return-to'] }, { ip: null })
    if (!result.ok) return refused(result, values, deps.config.basePath)
    return { ok: true, out: { url: result.url, expiresAt: result.expiresAt } }
  }
}]
