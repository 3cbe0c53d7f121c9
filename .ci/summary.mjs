// The closing lines of a CI run, from the TAP that tap printed for both runs
// (the log file given): one total line, and before it every failed check
// with the subtests it sits in and tap's diagnostics (its YAML block), so
// that a failure can be read in the last lines of the output, however long
// the run was.
import console from 'node:console'
import { readFileSync } from 'node:fs'
import process from 'node:process'

const lines = readFileSync(process.argv[2], 'utf8').split('\n')
const indentOf = (line) => line.length - line.trimStart().length
const MAX_DIAGNOSTIC_LINES = 40

let pass = 0
let fail = 0
let skip = 0
const failures = []
const open = [] // { indent, name } of each "# Subtest:" not yet closed
for (let i = 0; i < lines.length; i++) {
  const line = lines[i]
  const total = /^# \{ total: /.test(line)
  if (total) {
    pass += Number((line.match(/pass: (\d+)/) ?? [0, 0])[1])
    fail += Number((line.match(/fail: (\d+)/) ?? [0, 0])[1])
    skip += Number((line.match(/skip: (\d+)/) ?? [0, 0])[1])
    continue
  }
  const indent = indentOf(line)
  const subtest = /^\s*# Subtest: (.*)$/.exec(line)
  if (subtest !== null) {
    while (open.length > 0 && open[open.length - 1].indent >= indent) open.pop()
    open.push({ indent, name: subtest[1] })
    continue
  }
  const result = /^\s*(not ok|ok) \d+ - (.*)$/.exec(line)
  if (result === null) continue
  // A result line at the indentation of a "# Subtest:" closes that subtest.
  const within = open.filter((s) => s.indent < indent).map((s) => s.name)
  while (open.length > 0 && open[open.length - 1].indent >= indent) open.pop()
  if (result[1] !== 'not ok') continue
  const diagnostics = []
  if (lines[i + 1]?.trim() === '---') {
    for (let j = i + 1; j < lines.length && diagnostics.length < MAX_DIAGNOSTIC_LINES; j++) {
      diagnostics.push(lines[j].slice(indent))
      if (j > i + 1 && lines[j].trim() === '...') break
    }
  }
  failures.push({ path: [...within, result[2]].join(' > '), diagnostics })
}

if (failures.length > 0) {
  console.log(`== ${failures.length} failed (a file's or a subtest's own line is listed with the checks in it)`)
  for (const f of failures) {
    console.log(`not ok: ${f.path}`)
    for (const d of f.diagnostics) console.log(`    ${d}`)
  }
}
console.log(`${pass} passed, ${fail} failed` + (skip > 0 ? `, ${skip} skipped` : ''))
