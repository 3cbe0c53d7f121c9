// `node …` as a child process of a test (the CLI, the service), started as a
// provider's shell would start it: without tap's process-tracking hook.
//
// tap's @tapjs/processinfo hooks every spawn of a test process
// (process-on-spawn) and puts `--import=…/@tapjs/processinfo/…` into the
// child's NODE_OPTIONS, whatever environment the test passes. The hook sends
// each of the ~600 modules a CLI call loads through a loader thread, which
// doubled the cost of a call (about 0.9 s to about 1.9 s here, measured).
// Coverage is off in this suite, so the hook records nothing we use. The
// child is started through env(1), which sets NODE_OPTIONS to what the test
// meant and then runs node in its own place (same pid, so signals reach it).
const tapHook = /"?--import=[^\s"]*@tapjs[/\\]processinfo[^\s"]*"?/g

/** The file and arguments that run `node <args>` with the given environment's NODE_OPTIONS minus tap's hook. */
export function nodeCommand (args: readonly string[], env: NodeJS.ProcessEnv): [string, string[]] {
  const options = (env.NODE_OPTIONS ?? '').replace(tapHook, '').trim()
  const set = options === '' ? ['-u', 'NODE_OPTIONS'] : [`NODE_OPTIONS=${options}`]
  return ['/usr/bin/env', [...set, process.execPath, ...args]]
}
