// Keyset (cursor) paging: a page is asked for by the id of the row next to
// it (?after=<id>, ?before=<id>) or as the last page (?last=1), never by an
// offset, so the last page of a million rows costs what the first one does.
// The cursor comes from the query string: anything but exactly one well-formed
// cursor is the first page, never an error.

export type PageRequest =
  | { from: 'first' }
  | { from: 'last' }
  | { from: 'after', id: string }
  | { from: 'before', id: string }

export const FIRST_PAGE: PageRequest = { from: 'first' }

// A bigint id of at most 18 digits always fits PostgreSQL's bigint.
const ID = /^[1-9]\d{0,17}$/

export function parsePageRequest (query: Record<string, unknown>): PageRequest {
  const { after, before, last } = query
  if ([after, before, last].filter((v) => v !== undefined).length !== 1) return FIRST_PAGE
  if (typeof after === 'string' && ID.test(after)) return { from: 'after', id: after }
  if (typeof before === 'string' && ID.test(before)) return { from: 'before', id: before }
  if (last === '1') return { from: 'last' }
  return FIRST_PAGE
}

/** Backward pages are read in reverse order (and turned round in memory). */
export function isBackward (page: PageRequest): boolean {
  return page.from === 'last' || page.from === 'before'
}

/** Rows per page from the user's setting, within sane bounds. */
export function pageSize (rowsPerPage: number): number {
  return Number.isInteger(rowsPerPage) ? Math.min(500, Math.max(1, rowsPerPage)) : 25
}

export interface Page<T> { rows: T[], hasPrev: boolean, hasNext: boolean }

/**
 * A page query as a named prepared statement (pool.query({ name, text, values })):
 * one name per SQL text, so each connection parses it once and PostgreSQL
 * keeps a generic plan after a few runs instead of planning every page.
 */
export interface Statement { name: string, text: string, values: unknown[] }

/**
 * Runs a page query for `limit + 1` rows (the extra one says whether there is
 * more). A cursor that finds nothing (unknown, another account's, deleted) and
 * a Previous that reaches the start give the first page.
 */
export async function fetchPage<T> (page: PageRequest, limit: number, run: (page: PageRequest, limit: number) => Promise<T[]>): Promise<Page<T>> {
  const result = shape(page, await run(page, limit + 1), limit)
  const cursor = page.from === 'after' || page.from === 'before'
  if (cursor && (result.rows.length === 0 || (page.from === 'before' && !result.hasPrev))) {
    return shape(FIRST_PAGE, await run(FIRST_PAGE, limit + 1), limit)
  }
  return result
}

function shape<T> (page: PageRequest, fetched: T[], limit: number): Page<T> {
  const more = fetched.length > limit
  const rows = fetched.slice(0, limit)
  if (!isBackward(page)) return { rows, hasPrev: page.from === 'after', hasNext: more }
  return { rows: rows.reverse(), hasPrev: more, hasNext: page.from === 'before' }
}

export interface PagerLinks { first?: string, prev?: string, next?: string, last?: string }

/** First / Previous / Next / Last, keeping the other parameters (the filters); only where there is somewhere to go. */
export function pagerLinks (path: string, keep: URLSearchParams, page: Page<{ id: string }>): PagerLinks {
  const href = (key?: string, value?: string): string => {
    const q = new URLSearchParams(keep)
    if (key !== undefined && value !== undefined) q.set(key, value)
    const s = q.toString()
    return s === '' ? path : `${path}?${s}`
  }
  const links: PagerLinks = {}
  const firstRow = page.rows[0]
  const lastRow = page.rows.at(-1)
  if (page.hasPrev && firstRow !== undefined) {
    links.first = href()
    links.prev = href('before', firstRow.id)
  }
  if (page.hasNext && lastRow !== undefined) {
    links.next = href('after', lastRow.id)
    links.last = href('last', '1')
  }
  return links
}
