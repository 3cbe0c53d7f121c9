// The provider CLI compiled once per test run, as `npm run cli` runs it
// (plain JavaScript, no loader), instead of under tsx on every call: tsx
// sends each of the ~1 200 modules a CLI call loaded through its loader
// thread, which made a call cost about 2.7 s of CPU against about 0.95 s
// compiled (measured before the routes loaded lazily), and the CLI's tests
// make many calls a run.
//
// test/run.ts builds it before tap starts and names its entry in
// CP_TEST_CLI; test/helpers/cli.ts runs that entry, or src/cli.ts under
// tsx when a file runs without it (tap test/cli.test.ts).
//
// Each file of src/ and migrations/ is transpiled on its own by esbuild
// (what tsx does per file), its relative imports left as imports with
// `.ts` turned into `.js` (what tsconfig.build.json's
// rewriteRelativeImportExtensions does). The output folder sits directly
// in the repository, as dist/ does, so that packages resolve from
// node_modules and src/lib/app-root.ts finds views/ and the password list
// three levels up from dist's src/lib/.
import { rmSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { build, type Plugin } from 'esbuild'

const root = path.join(import.meta.dirname, '..', '..')

async function sources (dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
}

/** Relative imports stay imports of the sibling output file; packages stay imports from node_modules. */
const keepImports: Plugin = {
  name: 'keep-imports',
  setup (b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined
      return { path: args.path.replace(/\.ts$/, '.js'), external: true }
    })
  }
}

export interface CompiledCli {
  /** The compiled src/cli.ts. */
  entry: string
  remove: () => void
}

/** Compiles src/ and migrations/ into a fresh folder `<repo>/.test-dist-<pid>`. */
export async function compileCli (): Promise<CompiledCli> {
  const outdir = path.join(root, `.test-dist-${process.pid}`)
  const remove = (): void => { rmSync(outdir, { recursive: true, force: true }) }
  remove()
  try {
    await build({
      entryPoints: [...await sources('src'), ...await sources('migrations')],
      outdir,
      outbase: root,
      bundle: true,
      plugins: [keepImports],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning'
    })
  } catch (err) {
    remove()
    throw err
  }
  return { entry: path.join(outdir, 'src', 'cli.js'), remove }
}
