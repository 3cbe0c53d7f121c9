// Time zones for Main settings: every IANA zone the runtime knows
// (Intl.supportedValuesOf) plus UTC, grouped by region for a <select>, each
// labelled with its offset now ("(UTC+03:00) Europe/Moscow"). Offsets move
// with daylight saving time, so the labels are worked out again every
// quarter of an hour, not once at start.

const UTC = 'UTC'
const zones: readonly string[] = Intl.supportedValuesOf('timeZone')
const known: ReadonlySet<string> = new Set([UTC, ...zones])

/** Whether the value is a time zone the form offers. */
export function isTimeZone (value: unknown): value is string {
  return typeof value === 'string' && known.has(value)
}

export interface ZoneOption { value: string, label: string }
export interface ZoneGroup { region: string, zones: ZoneOption[] }
export interface ZoneChoices { utc: ZoneOption, groups: ZoneGroup[] }

const offsetFormats = new Map<string, Intl.DateTimeFormat>()

/** "UTC+03:00", "UTC-09:30", "UTC+00:00" at that moment. */
export function utcOffset (zone: string, at: Date): string {
  let format = offsetFormats.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    offsetFormats.set(zone, format)
  }
  const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  return name === 'GMT' ? 'UTC+00:00' : name.replace('GMT', 'UTC')
}

/** "(UTC+03:00) Europe/Moscow"; a zone Intl does not know reads as UTC. */
export function zoneLabel (zone: string, at: Date): string {
  let offset: string
  try {
    offset = utcOffset(zone, at)
  } catch {
    offset = 'UTC+00:00' // a name stored by hand that Intl does not know
  }
  return `(${offset}) ${zone.replaceAll('_', ' ')}`
}
const label = zoneLabel

const REFRESH_MS = 15 * 60_000
let cached: { slot: number, choices: ZoneChoices } | undefined

/** The select's options at `at`: UTC first, then each region's zones by name. */
export function timeZoneChoices (at: Date): ZoneChoices {
  const slot = Math.floor(at.getTime() / REFRESH_MS)
  if (cached?.slot === slot) return cached.choices
  const groups = new Map<string, ZoneOption[]>()
  for (const zone of zones) {
    const region = zone.slice(0, zone.indexOf('/'))
    let list = groups.get(region)
    if (list === undefined) groups.set(region, list = [])
    list.push({ value: zone, label: label(zone, at) })
  }
  const choices: ZoneChoices = {
    utc: { value: UTC, label: label(UTC, at) },
    groups: [...groups].sort(([a], [b]) => a.localeCompare(b, 'en')).map(([region, list]) => ({
      region,
      zones: list.sort((a, b) => a.value.localeCompare(b.value, 'en'))
    }))
  }
  cached = { slot, choices }
  return choices
}
