// Opaque keyset cursors: the last id of a page, tagged with its list, in
// base64url. A cursor is not a secret; opaque so that clients do not build
// them and the key can change.
const PATTERN = /^[a-z]+:\d{1,18}$/

export function encodeCursor (list: string, lastId: string | undefined): string | null {
  return lastId === undefined ? null : Buffer.from(`${list}:${lastId}`, 'utf8').toString('base64url')
}

/** The id after which the page starts; undefined for no cursor; null for one that is not a cursor of this list. */
export function decodeCursor (list: string, cursor: string | undefined): string | undefined | null {
  if (cursor === undefined) return undefined
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!PATTERN.test(text) || !text.startsWith(`${list}:`)) return null
  return text.slice(list.length + 1)
}
