// A secret kept in a file of DATA_DIR, made on first use. Two processes
// starting at once (the service and a CLI command) end up with the same
// secret: the file appears complete or not at all (written aside, then
// hard-linked into place, which fails if another process was first).
import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'

/** The file's value if it passes `valid`; else a new one from `make`, unless another process stored one first. */
export function readOrCreateSecret (file: string, make: () => string, valid: (value: string) => boolean = (v) => v !== ''): string {
  let stored: string | undefined
  try {
    stored = readFileSync(file, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (stored !== undefined && valid(stored)) return stored
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(aside, make() + '\n', { mode: 0o600 })
  try {
    // A file that is there but unusable is replaced; a missing one is claimed once.
    if (stored !== undefined) renameSync(aside, file)
    else linkSync(aside, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  } finally {
    rmSync(aside, { force: true })
  }
  return readFileSync(file, 'utf8').trim()
}
