// nodeCommand: a child of a test starts without tap's process-tracking hook,
// which tap would otherwise put into its NODE_OPTIONS (see child-env.ts).
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { nodeCommand } from './child-env.ts'

const printOptions = ['-e', 'process.stdout.write(JSON.stringify(process.env.NODE_OPTIONS ?? null))']

t.test('a plain spawn of a test gets the hook; one through nodeCommand does not', async (t) => {
  const plain = JSON.parse(execFileSync(process.execPath, printOptions, { env: { PATH: process.env.PATH }, encoding: 'utf8' })) as string | null
  t.match(plain ?? '', /@tapjs[/\\]processinfo/, 'tap puts its hook into every child (if this fails, tap changed and child-env.ts can go)')
  const [file, args] = nodeCommand(printOptions, process.env)
  t.equal(JSON.parse(execFileSync(file, args, { env: process.env, encoding: 'utf8' })), null)
})

t.test("the test's own NODE_OPTIONS reach the child", async (t) => {
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=300` }
  const [file, args] = nodeCommand(printOptions, env)
  t.equal(JSON.parse(execFileSync(file, args, { env, encoding: 'utf8' })), '--max-old-space-size=300')
})
