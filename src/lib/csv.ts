// CSV for people opening it in a spreadsheet (SECURITY.md, Web): every cell
// quoted, and a cell a spreadsheet would read as a formula (starting with
// = + - @, tab, CR or NUL) gets a leading quote, and so does every line of a
// multi-line cell that starts so: a reader that splits lines must not meet
// one either. papaparse's own escapeFormulae sees only the start of the cell
// and its default misses NUL and CR, so lines are neutralised here and its
// RegExp (multi-line) stays as a second net.
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import Papa from 'papaparse'

const FORMULA = /^[=+\-@\t\r\0]/m
const LINE_FORMULA = /(^|[\r\n])(?=[=+\-@\t\r\0])/g
export const CSV_OPTIONS = { quotes: true, escapeFormulae: FORMULA, newline: '\r\n' }

export function neutraliseCell (value: string): string {
  return value.replace(LINE_FORMULA, "$1'")
}

/** Records as CSV lines (no line break after the last), every cell neutralised and quoted. */
export function csvLines (records: readonly string[][]): string {
  return Papa.unparse(records.map((r) => r.map(neutraliseCell)), CSV_OPTIONS)
}

/**
 * A stored value as a cell: times as ISO 8601 in UTC, nothing as an empty
 * cell, a list of plain values one a line, anything else structured as JSON.
 */
export function cellText (value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (Array.isArray(value) && value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) return value.map(cellText).join('\n')
  return JSON.stringify(value)
}

/**
 * A CSV file written as records come, with the stream's backpressure
 * respected, so that memory holds one batch at most. Mode 0600: it holds
 * personal data.
 */
export class CsvFile {
  private readonly out: WriteStream
  private first = true

  constructor (readonly path: string) {
    this.out = createWriteStream(path, { flags: 'wx', mode: 0o600, encoding: 'utf8' })
  }

  /** Writes records (none: nothing). */
  async write (records: readonly string[][]): Promise<void> {
    if (records.length === 0) return
    const text = (this.first ? '\ufeff' : '\r\n') + csvLines(records)
    this.first = false
    // once() rejects on the stream's 'error' too: a full disk fails the export.
    if (!this.out.write(text)) await once(this.out, 'drain')
  }

  async close (): Promise<void> {
    this.out.end('\r\n')
    await once(this.out, 'close')
  }

  /** Closes the file after a failure, never throwing over it. */
  destroy (): void {
    this.out.destroy()
  }
}
