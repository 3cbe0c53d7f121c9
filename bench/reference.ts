// The bare reference of `npm run bench` (the Profile page) and of
// `npm run bench -- --scale` (each of its pages), in its own process like the
// app server: node:http, raw `pg` (one primary-key select of the user row)
// and a template function compiled from the page's own HTML as the app served
// it. The caller (bench/measure.ts, bareReference) captures that HTML once;
// here it is split at the values that come from the row (escaped email and
// full name, the formatted last login) and compiled into one string
// concatenation, so the reference costs what the page's bytes cost and
// nothing else. Input: a JSON file named by BENCH_REFERENCE_INPUT. Prints
// {"port", "parts"} as one JSON line once it listens.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import pg from 'pg'

interface Input {
  databaseUrl: string
  userId: string
  /** The signed-in Profile page, as the app sent it. */
  html: string
  /** The app's response headers for that page (date, length and connection left out). */
  headers: Record<string, string>
  /** The fields the page must show (default: the email and the last login, as the Profile page does). */
  required?: string[]
}

interface UserRow { email: string, full_name: string, last_login_at: Date | null, time_zone: string, phone: string | null }
type Field = (row: UserRow) => string

const input = JSON.parse(readFileSync(process.env.BENCH_REFERENCE_INPUT ?? '', 'utf8')) as Input

const escMap: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escape = (s: string): string => /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => escMap[c]!) : s
const formats = new Map<string, Intl.DateTimeFormat>()
function lastLogin (row: UserRow): string {
  if (row.last_login_at === null) return 'Never'
  let f = formats.get(row.time_zone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: row.time_zone })
    formats.set(row.time_zone, f)
  }
  return f.format(row.last_login_at)
}
const fields: Record<string, Field> = {
  email: (row) => escape(row.email),
  fullName: (row) => escape(row.full_name),
  lastLogin: (row) => escape(lastLogin(row))
}

/** The HTML as literal parts and row fields, in order; the longest value wins where two start at one place. */
function split (html: string, row: UserRow): string[] {
  const hits: Array<{ at: number, len: number, name: string }> = []
  for (const [name, field] of Object.entries(fields)) {
    const value = field(row)
    if (value === '') continue
    for (let at = html.indexOf(value); at !== -1; at = html.indexOf(value, at + 1)) hits.push({ at, len: value.length, name })
  }
  hits.sort((a, b) => a.at - b.at || b.len - a.len)
  const parts: string[] = []
  let pos = 0
  for (const hit of hits) {
    if (hit.at < pos) continue
    parts.push(html.slice(pos, hit.at), hit.name)
    pos = hit.at + hit.len
  }
  parts.push(html.slice(pos))
  return parts
}

/** One function of the row: "lit" + f.email(row) + "lit" + …, compiled once. */
function compile (parts: string[]): (row: UserRow) => string {
  const code = parts.map((p, i) => i % 2 === 0 ? JSON.stringify(p) : `f.${p}(row)`).join(' + ')
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled once, from the page's own HTML
  return new Function('f', `return function profile (row) { return ${code} }`)(fields) as (row: UserRow) => string
}

const pool = new pg.Pool({ connectionString: input.databaseUrl, max: 10 })
const query = { name: 'ref_user', text: 'select email, full_name, last_login_at, time_zone, phone from users where id = $1', values: [input.userId] }
const first = (await pool.query<UserRow>(query)).rows[0]
if (first === undefined) throw new Error(`reference: no user ${input.userId}`)
if (first.phone !== null) throw new Error('reference: the bench user must have no phone (the reference does not format phone numbers)')
const parts = split(input.html, first)
const missing = (input.required ?? ['email', 'lastLogin']).filter((name) => !parts.includes(name))
if (missing.length > 0) throw new Error(`reference: ${missing.join(', ')} of the row not found in the page's HTML`)
const render = compile(parts)
if (render(first) !== input.html) throw new Error('reference: the compiled template does not give back the page\'s HTML')

const headers = { ...input.headers }
const server = createServer((req, res) => {
  if (req.url !== '/') {
    res.writeHead(404).end()
    return
  }
  pool.query<UserRow>(query).then(({ rows }) => {
    const body = render(rows[0]!)
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body)
  }, (err: Error) => {
    res.writeHead(500).end(err.message)
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port, parts: (parts.length - 1) / 2 }) + '\n')
})
process.on('SIGTERM', () => { server.close(); void pool.end().then(() => process.exit(0)) })
