// Main settings (SPEC §4.1): saving them, what needs re-confirmation, and the
// provider's way out of a list that locks a user out. Guarantees:
// - the form acts on the signed-in user only;
// - only a change that narrows where the user's sessions work (the list
//   turned on or changed while on, binding turned on) is re-confirmed;
// - the audit row names the settings changed, never their values;
// - turning binding on binds this session to the IP it is saved from, so
//   that a session started elsewhere (a changed mobile address) is not ended
//   by its own save.
import type { CurrentUser } from '../../lib/current-user.ts'
import { recordEvent } from '../../lib/events.ts'
import type { Deps } from '../../types.ts'
import type { MainSettings } from './forms.ts'
import { clearIpList, findMainSettings, type MainSettingsRow, setMainSettings, setSessionIp } from './queries.ts'

/** Whether saving these values narrows access: the re-confirmed operation settings.access. */
export function narrowsAccess (user: Pick<CurrentUser, 'ipAccess' | 'ipAllowList' | 'bindSessionIp'>, values: MainSettings): boolean {
  const listNarrows = values.ipAccess === 'list' && (user.ipAccess !== 'list' || values.ipAllowList.join('\n') !== user.ipAllowList)
  return listNarrows || (values.bindSessionIp && !user.bindSessionIp)
}

/** The names of the settings that differ, in the form's order. */
function changedSettings (before: MainSettingsRow, after: MainSettingsRow): string[] {
  const names: string[] = []
  if (before.language !== after.language) names.push('language')
  if (before.time_zone !== after.time_zone) names.push('time_zone')
  if (before.rows_per_page !== after.rows_per_page) names.push('rows_per_page')
  if (before.ip_access !== after.ip_access) names.push('ip_access')
  if (before.ip_allow_list.join('\n') !== after.ip_allow_list.join('\n')) names.push('ip_allow_list')
  if (before.bind_session_ip !== after.bind_session_ip) names.push('bind_session_ip')
  return names
}

export interface SaveClient { ip: string, sessionId: string }

/** Saves the user's Main settings; returns the names of those changed. */
export async function saveMainSettings (deps: Pick<Deps, 'db' | 'clock'>, user: CurrentUser, values: MainSettings, client: SaveClient): Promise<string[]> {
  const now = deps.clock.now()
  const after: MainSettingsRow = {
    language: values.language,
    time_zone: values.timeZone,
    rows_per_page: values.rowsPerPage,
    ip_access: values.ipAccess,
    ip_allow_list: values.ipAllowList,
    bind_session_ip: values.bindSessionIp
  }
  return await deps.db.transaction().execute(async (trx) => {
    const before = await findMainSettings(trx, user.id, { lock: true })
    if (before === undefined) return []
    const changed = changedSettings(before, after)
    if (changed.length === 0) return changed
    await setMainSettings(trx, user.id, after, now)
    if (after.bind_session_ip && !before.bind_session_ip) await setSessionIp(trx, client.sessionId, client.ip)
    await recordEvent(trx, { accountId: user.accountId, actorUserId: user.id, targetUserId: user.id, type: 'settings.saved', details: { changed: changed.join(' ') }, ip: client.ip, at: now })
    return changed
  })
}

/** Provider operation: access from any IP again, the list emptied (a user locked out by their list); false when there is no such user. */
export async function clearIpListByProvider (deps: Pick<Deps, 'db' | 'clock'>, userId: string, caller: { ip: string | null }): Promise<boolean> {
  const now = deps.clock.now()
  return await deps.db.transaction().execute(async (trx) => {
    const row = await clearIpList(trx, userId, now)
    if (row === undefined) return false
    await recordEvent(trx, { accountId: row.account_id, actorUserId: null, targetUserId: userId, type: 'ip_list.cleared_by_provider', ip: caller.ip, at: now })
    return true
  })
}
