// The personal-data CSV (SPEC §4.3): one file for every section every
// feature declares (Feature.personalData.export), in one shape that fits
// them all and reads in a spreadsheet:
//
//   "section","record","field","value"
//   "profile","1","email","anna@example.com"
//   "profile","1","full_name","Anna Petrova"
//   "sessions","1","ip","203.0.113.7"
//   "sessions","2","ip","198.51.100.4"
//
// one line per field of each stored row: `record` numbers the rows of a
// section from 1, `field` is the stored field's name. A section with no rows
// is one line with the other cells empty, so that the file says it was
// looked at. Times are ISO 8601 in UTC; cells are neutralised and quoted
// (src/lib/csv.ts). Each section is streamed from a server-side cursor into
// the file, all in one read-only snapshot, so the file is consistent and
// memory holds one batch of rows whatever the size.
import type { Kysely } from 'kysely'
import type { DB } from '../../../db/schema.ts'
import { cellText, CsvFile } from '../../../lib/csv.ts'
import type { DataSubject, ExportSection } from '../../../lib/personal-data.ts'

export const CSV_HEADER = ['section', 'record', 'field', 'value']
const CHUNK_ROWS = 500
const BATCH_LINES = 2000

/** Writes the subject's CSV to `path` (a new file, mode 0600); returns how many rows it holds. */
export async function buildExportFile (db: Kysely<DB>, subject: DataSubject, sections: readonly ExportSection[], path: string): Promise<number> {
  const file = new CsvFile(path)
  try {
    const rows = await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (trx) => {
      await file.write([CSV_HEADER])
      let total = 0
      for (const section of sections) {
        let batch: string[][] = []
        let record = 0
        for await (const row of section.query(trx, subject).stream(CHUNK_ROWS)) {
          record++
          const n = String(record)
          for (const [field, value] of Object.entries(row)) batch.push([section.name, n, field, cellText(value)])
          if (batch.length >= BATCH_LINES) {
            await file.write(batch)
            batch = []
          }
        }
        if (record === 0) batch.push([section.name, '', '', ''])
        await file.write(batch)
        total += record
      }
      return total
    })
    await file.close()
    return rows
  } catch (err) {
    file.destroy()
    throw err
  }
}
