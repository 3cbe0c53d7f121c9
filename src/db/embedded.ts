// The embedded PostgreSQL: PGlite stored in DATA_DIR, served on loopback by
// pglite-socket so that the same `pg` pool, migrations and queries run on it.
// PGlite is single-process: the address of a running server is written to
// DATA_DIR so that the CLI reuses it instead of opening the files twice.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedDatabase {
  url: string
  stop: () => Promise<void>
}

const ADDRESS_FILE = 'embedded-db.json'

/** dataDir undefined: in memory (tests). */
export async function startEmbedded (dataDir: string | undefined): Promise<EmbeddedDatabase> {
  let pgDir: string | undefined
  if (dataDir !== undefined) {
    pgDir = path.join(dataDir, 'pgdata')
    mkdirSync(pgDir, { recursive: true })
  }
  const db = await PGlite.create(pgDir ?? 'memory://')
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 })
  await server.start()
  const port = Number(server.getServerConn().split(':').pop())
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const addressFile = dataDir === undefined ? undefined : path.join(dataDir, ADDRESS_FILE)
  if (addressFile !== undefined) writeFileSync(addressFile, JSON.stringify({ url, pid: process.pid }) + '\n')
  return {
    url,
    async stop () {
      if (addressFile !== undefined) rmSync(addressFile, { force: true })
      await server.stop()
      await db.close()
    }
  }
}

/** The embedded database of a server that is running on this DATA_DIR, if any. */
export async function findRunningEmbedded (dataDir: string): Promise<string | undefined> {
  let url: string
  try {
    url = (JSON.parse(readFileSync(path.join(dataDir, ADDRESS_FILE), 'utf8')) as { url: string }).url
  } catch {
    return undefined
  }
  const { port } = new URL(url)
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) }, () => { socket.end(); resolve(true) })
    socket.on('error', () => resolve(false))
  })
  return reachable ? url : undefined
}
