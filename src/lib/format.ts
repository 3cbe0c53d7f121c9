// Dates and times as the user reads them: the user's language and time zone,
// to the minute. Formatting is the costliest per-row work of a list page
// (Intl.DateTimeFormat#format takes microseconds), so each formatter is made
// once and keeps the strings it made, by minute.
interface Formatter { format: Intl.DateTimeFormat, byMinute: Map<number, string> }

const formatters = new Map<string, Formatter>()
const MINUTES_KEPT = 10_000
// Since 1980 every time zone's UTC offset is whole minutes (Africa/Monrovia's
// -0:44:30 ended in 1972), so the UTC minute decides the local one; earlier
// dates are formatted every time.
const WHOLE_MINUTE_OFFSETS_FROM = Date.UTC(1980, 0, 1)

/** A date and time (a Date or epoch milliseconds) in the user's language and time zone. */
export function formatDateTime (date: Date | number, lang: string, timeZone: string): string {
  const key = `${lang}|${timeZone}`
  let f = formatters.get(key)
  if (f === undefined) {
    f = { format: new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone }), byMinute: new Map() }
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
