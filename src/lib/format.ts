const formats = new Map<string, Intl.DateTimeFormat>()

/** A date and time in the user's language and time zone. */
export function formatDateTime (date: Date, lang: string, timeZone: string): string {
  const key = `${lang}|${timeZone}`
  let f = formats.get(key)
  if (f === undefined) {
    f = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone })
    formats.set(key, f)
  }
  return f.format(date)
}
