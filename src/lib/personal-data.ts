// What a feature stores about a user, declared with the feature
// (Feature.personalData) so that the export and the deletion of personal
// data (the privacy feature, SPEC §4.3) cover every feature, today's and
// later ones, without knowing them:
// - export: the feature's sections of the user's CSV, each streamed from a
//   cursor;
// - erase: what a completed deletion does to the feature's rows, inside the
//   deletion's transaction.
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'

/** The user whose data is exported or erased. */
export interface DataSubject {
  id: string
  accountId: string
}

/**
 * One section of the export: its name (the CSV's `section` column) and the
 * rows, as a query to stream (a Kysely select: read from a server-side
 * cursor, in the export's read-only snapshot). Each selected column is a
 * `field` of the CSV under its (alias) name, in the order selected: select
 * what the person may read about themselves, never a secret (hashes, keys,
 * codes), and nothing of another person.
 */
export interface ExportSection {
  name: string
  query: (db: Kysely<DB>, subject: DataSubject) => { stream: (chunkSize?: number) => AsyncIterableIterator<Record<string, unknown>> }
}

/** Removes or replaces the subject's personal values in the feature's tables. */
export type EraseStep = (trx: Kysely<DB>, subject: DataSubject & { email: string, fullName: string, phone: string | null }) => Promise<void>

export interface PersonalData {
  export?: readonly ExportSection[]
  erase?: EraseStep
}
