// The IP allow list of Main settings (SPEC §4.1): parsing what a user types
// and checking a client's address against a stored list. Guarantees:
// - an entry is one IPv4 address (four decimal parts, no leading zeros:
//   "1.2.3" and "010.0.0.1" are refused, not read as ipaddr.js's classful or
//   octal forms), one IPv6 address (no zone), or a CIDR range of either;
// - entries are stored normalised (RFC 5952 for IPv6, the range's network
//   address, "/32" and "/128" as the bare address, IPv4-mapped IPv6 as
//   IPv4), so that duplicates are found and the list reads the same way back;
// - an IPv4 client seen as IPv4-mapped IPv6 (a dual-stack socket) matches
//   its IPv4 entries;
// - a stored list is parsed once per distinct list (LIST_CACHE_SIZE lists
//   kept): the guards check it on every request.
import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Range = [Address, number]

export const MAX_ENTRIES = 100
const LIST_CACHE_SIZE = 1000

/** The client's address as matched: IPv4-mapped IPv6 as IPv4; undefined when it is no address. */
function clientAddress (ip: string): Address | undefined {
  try {
    return ipaddr.process(ip)
  } catch {
    return undefined
  }
}

function ipv6 (text: string): ipaddr.IPv6 | undefined {
  if (!ipaddr.IPv6.isValid(text) || text.includes('%')) return undefined
  return ipaddr.IPv6.parse(text)
}

/** One entry as the user typed it → its range, or undefined when it is neither an address nor a CIDR range. */
function parseEntry (raw: string): Range | undefined {
  const text = raw.trim()
  const slash = text.indexOf('/')
  const host = slash === -1 ? text : text.slice(0, slash)
  const bitsText = slash === -1 ? undefined : text.slice(slash + 1)
  if (bitsText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined
  let address: Address | undefined
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) address = ipaddr.IPv4.parse(host)
  else address = ipv6(host)
  if (address === undefined) return undefined
  const max = address.kind() === 'ipv4' ? 32 : 128
  const bits = bitsText === undefined ? max : Number(bitsText)
  if (bits > max) return undefined
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) return network([address.toIPv4Address(), bits - 96])
  return network([address, bits])
}

// The range's first address: "10.0.0.7/24" is 10.0.0.0/24.
function network ([address, bits]: Range): Range {
  const bytes = address.toByteArray()
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    bytes[i] = bytes[i]! & (0xff << (8 - keep)) & 0xff
  }
  return [ipaddr.fromByteArray(bytes), bits]
}

function entryText ([address, bits]: Range): string {
  const host = address instanceof ipaddr.IPv6 ? address.toRFC5952String() : address.toString()
  return bits === (address.kind() === 'ipv4' ? 32 : 128) ? host : `${host}/${bits}`
}

export type ParsedList =
  | { ok: true, entries: string[] }
  | { ok: false, reason: 'invalid', entry: string, line: number }
  | { ok: false, reason: 'too_many', count: number }

/** The textarea's lines → the normalised entries, blank lines and duplicates dropped; the first bad line is named. */
export function parseIpList (text: string): ParsedList {
  const entries: string[] = []
  const seen = new Set<string>()
  const lines = text.split(/\r\n|\r|\n/)
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    const range = parseEntry(line)
    if (range === undefined) return { ok: false, reason: 'invalid', entry: line.trim().slice(0, 100), line: i + 1 }
    const normal = entryText(range)
    if (seen.has(normal)) continue
    seen.add(normal)
    entries.push(normal)
  }
  if (entries.length > MAX_ENTRIES) return { ok: false, reason: 'too_many', count: entries.length }
  return { ok: true, entries }
}

/** Whether the address is in one of the ranges. */
function matches (ranges: readonly Range[], ip: string): boolean {
  const address = clientAddress(ip)
  if (address === undefined) return false
  return ranges.some((range) => range[0].kind() === address.kind() && address.match(range))
}

const parsedLists = new Map<string, Range[]>()

/**
 * The stored list (entries separated by newlines, as LOAD_SQL gives it) as
 * ranges, parsed once per distinct list. Entries the app stored are valid;
 * one that is not (edited by hand) matches nothing.
 */
function rangesOf (stored: string): Range[] {
  let ranges = parsedLists.get(stored)
  if (ranges === undefined) {
    ranges = []
    for (const entry of stored.split('\n')) {
      const range = entry === '' ? undefined : parseEntry(entry)
      if (range !== undefined) ranges.push(range)
    }
    if (parsedLists.size >= LIST_CACHE_SIZE) parsedLists.delete(parsedLists.keys().next().value!)
    parsedLists.set(stored, ranges)
  }
  return ranges
}

/** Whether a client at `ip` may use the panel under these settings. */
export function ipAllowed (access: { ipAccess: 'any' | 'list', ipAllowList: string }, ip: string): boolean {
  return access.ipAccess === 'any' || matches(rangesOf(access.ipAllowList), ip)
}

/**
 * Whether `ip` is in these normalised entries (the form's check that a list
 * does not lock its user out). Not cached: a list typed into the form is not
 * a stored one, and must not push those out of the cache.
 */
export function ipInEntries (entries: readonly string[], ip: string): boolean {
  return matches(entries.map(parseEntry).filter((r): r is Range => r !== undefined), ip)
}

/** Two addresses are the same client (binding), whatever their spelling (IPv4-mapped IPv6 included). */
export function sameAddress (a: string, b: string): boolean {
  if (a === b) return true
  const x = clientAddress(a)
  const y = clientAddress(b)
  return x !== undefined && y !== undefined && x.kind() === y.kind() && x.toNormalizedString() === y.toNormalizedString()
}
