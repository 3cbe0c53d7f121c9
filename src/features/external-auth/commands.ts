// The provider's user:unbind-service (SPEC §6): a user who lost access to an
// external service, or whose identity there must no longer sign them in.
// The user is named by --email or --id, like the provider's other user commands.
import type { Command } from '../../lib/commands.ts'
import { findUser, findUsersByEmail } from '../provider/index.ts'
import { unbindIdentity } from './service.ts'

export const commands: readonly Command[] = [{
  name: 'user:unbind-service',
  usage: '(--email EMAIL | --id USER_ID) --service SERVICE_ID',
  options: ['email', 'id', 'service'],
  required: ['service'],
  exactlyOne: [['email', 'id']],
  run: async (deps, v) => {
    const flag = v.id !== undefined ? 'id' : 'email'
    const found = v.id !== undefined ? await findUser(deps, v.id) : undefined
    const user = found?.ok === true ? found.user : v.id === undefined ? (await findUsersByEmail(deps, v.email ?? ''))[0] : undefined
    if (user === undefined) return { ok: false, error: `--${flag}: no user has the ${flag} ${v[flag] ?? ''}` }
    const serviceId = v.service ?? ''
    const service = deps.config.authServices.find((s) => s.id === serviceId)
    if (!await unbindIdentity(deps, { id: user.id, accountId: user.accountId }, serviceId, service, { userId: null, ip: null })) {
      return { ok: false, error: `--service: the user has no identity bound at "${serviceId}"` }
    }
    return { ok: true, out: { userId: user.id, service: serviceId, bound: false } }
  }
}]
