// Dates and times as the user reads them: the user's language and time zone,
// to the minute, with the zone named. How the zone is named, everywhere:
// - each time carries its own UTC offset, the one in force at that instant
//   (Intl's timeZoneName 'shortOffset': "Jul 1, 2026, 2:00 PM GMT+2",
//   "1 янв. 2026 г., 13:00 GMT+1"), so two times on either side of a DST
//   change each say which offset they are in;
// - a page (or an email) with times also names the IANA zone and, from
//   Intl, its generic name ("Europe/Berlin, Central European Time"), which
//   does not change with DST: timeZoneCaption().
// Formatting is the costliest per-row work of a list page
// (Intl.DateTimeFormat#format takes microseconds), so each formatter is made
// once and keeps the strings it made, by minute.
interface Formatter { format: Intl.DateTimeFormat, byMinute: Map<number, string> }

const formatters = new Map<string, Formatter>()
const MINUTES_KEPT = 10_000
// Since 1980 every time zone's UTC offset is whole minutes (Africa/Monrovia's
// -0:44:30 ended in 1972), so the UTC minute decides the local one, and the
// offset with it; earlier dates are formatted every time.
const WHOLE_MINUTE_OFFSETS_FROM = Date.UTC(1980, 0, 1)

/**
 * The zone to format in. A stored zone this runtime's ICU does not know
 * (newer than its tz data, or a value written by hand) would make Intl
 * throw on every page: it is shown as UTC, and the page then says UTC.
 * A known zone keeps the name it was stored under (Europe/Kyiv, which ICU
 * would call Europe/Kiev).
 */
function usableZone (timeZone: string): string {
  try {
    Intl.DateTimeFormat('en', { timeZone })
    return timeZone
  } catch {
    return 'UTC'
  }
}

/** The options of every date and time shown: dateStyle 'medium' + timeStyle 'short', spelt out, since those styles cannot carry timeZoneName. */
const DATE_TIME: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'shortOffset' }

/** A date and time (a Date or epoch milliseconds) in the user's language and time zone, with its UTC offset at that instant. */
export function formatDateTime (date: Date | number, lang: string, timeZone: string): string {
  const key = `${lang}|${timeZone}`
  let f = formatters.get(key)
  if (f === undefined) {
    f = { format: new Intl.DateTimeFormat(lang, { ...DATE_TIME, timeZone: usableZone(timeZone) }), byMinute: new Map() }
    formatters.set(key, f)
  }
  const ms = typeof date === 'number' ? date : date.getTime()
  if (!(ms >= WHOLE_MINUTE_OFFSETS_FROM)) return f.format.format(ms)
  const minute = Math.floor(ms / 60_000)
  let text = f.byMinute.get(minute)
  if (text === undefined) {
    text = f.format.format(minute * 60_000)
    if (f.byMinute.size >= MINUTES_KEPT) f.byMinute.delete(f.byMinute.keys().next().value!)
    f.byMinute.set(minute, text)
  }
  return text
}

/** The zone's name in the language, today's: a zone's metazone can change over its history (Europe/Kaliningrad was on Moscow time in 1970). */
function zoneName (lang: string, timeZone: string, style: 'longGeneric' | 'long'): string {
  const parts = new Intl.DateTimeFormat(lang, { timeZone, timeZoneName: style }).formatToParts(Date.now())
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone
}

/** How a page names its time zone: the IANA id and the zone's generic name in the language. */
export interface TimeZoneCaption { zone: string, name: string }

const captions = new Map<string, TimeZoneCaption>()

/**
 * The IANA zone and its generic name in the language ("Central European
 * Time", "Центральная Европа"): the same in summer and winter, so it is
 * right for a whole page whatever the times on it.
 */
export function timeZoneCaption (lang: string, timeZone: string): TimeZoneCaption {
  const key = `${lang}|${timeZone}`
  let caption = captions.get(key)
  if (caption === undefined) {
    const zone = usableZone(timeZone)
    let name = zoneName(lang, zone, 'longGeneric')
    // No generic name (UTC, Etc/GMT+5: fixed offsets, so no DST): the long one ("Coordinated Universal Time").
    if (/^(GMT|UTC)/.test(name)) name = zoneName(lang, zone, 'long')
    caption = { zone, name }
    captions.set(key, caption)
  }
  return caption
}
