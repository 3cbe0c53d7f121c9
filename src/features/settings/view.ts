// The User settings page's view-model: the Main settings form (with the
// values and messages of a refused post) above the other blocks' links.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import { isTimeZone, timeZoneChoices, zoneLabel } from '../../lib/time-zones.ts'
import { ROWS_PER_PAGE, type SettingsErrors, type TypedSettings } from './forms.ts'

/** The regions of the IANA names, in the reader's language; a region not listed shows as it is. */
const REGIONS: Readonly<Record<string, MessageKey>> = {
  Africa: 'zone.region.africa',
  America: 'zone.region.america',
  Antarctica: 'zone.region.antarctica',
  Arctic: 'zone.region.arctic',
  Asia: 'zone.region.asia',
  Atlantic: 'zone.region.atlantic',
  Australia: 'zone.region.australia',
  Europe: 'zone.region.europe',
  Indian: 'zone.region.indian',
  Pacific: 'zone.region.pacific'
}

export interface SettingsState { typed: TypedSettings, errors: SettingsErrors }

function storedValues (user: CurrentUser): TypedSettings {
  return {
    language: user.language,
    time_zone: user.timeZone,
    rows_per_page: String(user.rowsPerPage),
    ip_access: user.ipAccess,
    ip_allow_list: user.ipAllowList,
    bind_session_ip: user.bindSessionIp
  }
}

export function renderSettings (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, state?: SettingsState, status = 200): FastifyReply {
  const app = request.server
  const config = app.deps.config
  const blocks = app.settingsBlocks.map((block) => {
    const on = block.status?.(user, config)
    const about = typeof block.about === 'function' ? block.about(user, config) : block.about
    return { title: block.title, about, path: block.path, on, action: block.action?.(user, config) ?? 'button.open' }
  })
  return reply.render('settings/index', {
    blocks,
    values: state?.typed ?? storedValues(user),
    errors: state?.errors ?? {},
    zones: timeZoneChoices(app.deps.clock.now()),
    regionName: (region: string) => {
      const key = REGIONS[region]
      return key === undefined ? region : request.t(key)
    },
    // The user's zone when the runtime lists it under another name: offered as it is, so that it stays.
    storedZone: isTimeZone(user.timeZone) ? undefined : { value: user.timeZone, label: zoneLabel(user.timeZone, app.deps.clock.now()) },
    rows: ROWS_PER_PAGE.map(String),
    clientIp: request.ip
  }, status)
}
