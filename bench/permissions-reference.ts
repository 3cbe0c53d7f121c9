// The one-query reference for the provider API's GET /users/{id}/permissions
// in `npm run bench`, in its own process like the app: node:http, raw `pg`,
// one prepared select of the flags and the permissions held, the same JSON
// bytes. No token check, no routing, no validation: the floor. Input:
// BENCH_PERMISSIONS_DATABASE_URL. Prints {"port"} once it listens; answers
// GET /<userId>.
import { createServer } from 'node:http'
import pg from 'pg'
import { EFFECTIVE_PERMISSIONS_SQL } from '../src/features/users/permissions.ts'

const pool = new pg.Pool({ connectionString: process.env.BENCH_PERMISSIONS_DATABASE_URL, max: 10 })

const server = createServer((req, res) => {
  const id = req.url?.slice(1) ?? ''
  pool.query<{ full: boolean, held: string[] }>({ name: 'ref_permissions', text: EFFECTIVE_PERMISSIONS_SQL, values: [id] }).then(({ rows }) => {
    const row = rows[0]
    if (row === undefined) { res.writeHead(404).end(); return }
    const body = JSON.stringify({ fullAccess: row.full, permissions: row.held })
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body)
  }, (err: Error) => {
    res.writeHead(500).end(err.message)
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n')
})
process.on('SIGTERM', () => { server.close(); void pool.end().then(() => process.exit(0)) })
