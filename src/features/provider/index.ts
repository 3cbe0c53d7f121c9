// Provider side (SPEC §6): operations on accounts and users by id, with
// typed results; the CLI (its commands below) and, later, the provider API
// are thin adapters over them. Other code imports this entry only.
import type { Feature } from '../../lib/feature.ts'
import { commands } from './commands.ts'

export const provider: Feature = { name: 'provider', commands }

export { createAccount } from './accounts.ts'
export { clearIpList, deleteUser, findUser, findUsersByEmail, listUsers, permissionsOf, removePhone, resetTwoFactor, updateUser } from './users.ts'
export type * from './results.ts'
