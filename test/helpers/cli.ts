// The provider CLI run as a provider's script runs it: a child process of
// src/cli.ts with the given environment. Asynchronous, so that with the
// embedded database the CLI can talk to the test's own server.
import { execFile } from 'node:child_process'
import { nodeCommand } from './child-env.ts'

/**
 * How to start the CLI: the run's compiled copy (test/helpers/compiled-cli.ts,
 * built by npm test), else src/cli.ts under tsx (a file run on its own).
 */
const cliCommand: readonly string[] = process.env.CP_TEST_CLI !== undefined && process.env.CP_TEST_CLI !== ''
  ? [process.env.CP_TEST_CLI]
  : ['--import', 'tsx', 'src/cli.ts']

export interface CliResult {
  status: number | null
  stdout: string
  /** The refusal's message when the CLI printed {"error": {"code", "message"}}; else stderr as written (usage errors). */
  stderr: string
  /** The refusal as printed (exit 1). */
  error?: { code: string, message: string }
}

export async function runCli (env: NodeJS.ProcessEnv, args: readonly string[]): Promise<CliResult> {
  return await new Promise((resolve) => {
    const [file, argv] = nodeCommand([...cliCommand, ...args], env)
    execFile(file, argv, { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      const error = refusal(stderr)
      resolve({ status, stdout, stderr: error?.message ?? stderr, ...(error === undefined ? {} : { error }) })
    })
  })
}

function refusal (stderr: string): { code: string, message: string } | undefined {
  try {
    const parsed = JSON.parse(stderr) as { error?: { code?: unknown, message?: unknown } }
    const { code, message } = parsed.error ?? {}
    return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined
  } catch {
    return undefined
  }
}
