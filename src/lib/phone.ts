// Phone numbers: parsed with libphonenumber-js and stored in E.164.
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max'

export function isRegion (value: string): value is CountryCode {
  return isSupportedCountry(value)
}

/** The number in E.164, or undefined if it is not a valid number. Without a region only +international numbers parse. */
export function normalizePhone (raw: string, region: string | undefined): string | undefined {
  const text = raw.trim()
  if (text === '' || text.length > 40 || /[^0-9+()\-.\s]/.test(text)) return undefined
  const parsed = parsePhoneNumberFromString(text, region !== undefined && isRegion(region) ? region : undefined)
  if (parsed === undefined || !parsed.isValid()) return undefined
  return parsed.number
}

/** For display: +7 912 345-67-89. */
export function formatPhone (e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164
}
