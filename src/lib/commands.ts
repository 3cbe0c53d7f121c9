// A provider CLI command, as a feature declares it in its index.ts: its
// name, its options (node:util parseArgs) and an adapter from the parsed
// flags to one operation call and from the operation's result to JSON or a
// message. src/cli.ts parses argv against the table, opens the database and
// prints; the wording of errors lives in the adapters.
import type { Deps } from '../types.ts'

/** What a command works with: the database, and a queue it sends to (mail) but does not work: the service's workers deliver. */
export type CommandDeps = Pick<Deps, 'db' | 'pool' | 'clock' | 'config' | 'jobs' | 'keys'>

/** The flags as parsed: each option is a string flag given at most once. */
export type CommandValues = Readonly<Record<string, string | undefined>>

/** Printed as one JSON line on stdout (exit 0), or as {"error": {"code", "message"}} on stderr (exit 1: the operation refused; code "refused" unless given). */
export type CommandOutcome = { ok: true, out: Record<string, unknown> } | { ok: false, error: string, code?: string }

export interface Command {
  name: string
  /** The arguments after the name, as shown in the usage line. */
  usage: string
  /** Option names without the dashes: all strings. */
  options: readonly string[]
  /** Options that must be given, not empty. */
  required?: readonly string[]
  /** Groups of options of which exactly one must be given (--email or --id). */
  exactlyOne?: ReadonlyArray<readonly string[]>
  run: (deps: CommandDeps, values: CommandValues) => Promise<CommandOutcome>
}
