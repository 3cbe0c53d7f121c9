// The framework's floor for the provider API's GET /users/{id}/permissions in
// `npm run bench -- --api`: the one-query reference
// (bench/permissions-reference.ts) on Fastify, with the service's request log
// (serviceLogger at LOG_LEVEL, default info, to /dev/null as the bench's app;
// one line per request) and the same response schema, and nothing else: no
// token, no headers, no validation. What the API costs above it is the
// product's own; what it costs above the reference, the framework's and the
// log's. Input: BENCH_PERMISSIONS_DATABASE_URL, LOG_LEVEL. Prints {"port"}
// once it listens; answers GET /<userId>.
import Fastify from 'fastify'
import pg from 'pg'
import { EFFECTIVE_PERMISSIONS_SQL } from '../src/features/users/permissions.ts'
import { OneLinePerRequest, serviceLogger } from '../src/app.ts'
import { Permissions } from '../src/features/provider-api/schemas.ts'

const pool = new pg.Pool({ connectionString: process.env.BENCH_PERMISSIONS_DATABASE_URL, max: 10 })

const app = Fastify({ logger: serviceLogger({ logLevel: process.env.LOG_LEVEL ?? 'info' }, '/dev/null'), logController: new OneLinePerRequest() })
app.get<{ Params: { id: string } }>('/:id', { schema: { response: { 200: Permissions } } }, async (request, reply) => {
  const { rows } = await pool.query<{ full: boolean, held: string[] }>({ name: 'ref_permissions', text: EFFECTIVE_PERMISSIONS_SQL, values: [request.params.id] })
  const row = rows[0]
  if (row === undefined) return await reply.code(404).send()
  return { fullAccess: row.full, permissions: row.held }
})
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(JSON.stringify({ port: (app.server.address() as { port: number }).port }) + '\n')
process.on('SIGTERM', () => { void app.close().then(async () => { await pool.end() }).then(() => process.exit(0)) })
