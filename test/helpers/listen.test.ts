// listenOn: a fake server started again on its port waits for another
// listener that took the port meanwhile to let it go, instead of failing.
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { listenOn } from './listen.ts'

const close = async (s: Server): Promise<void> => { await new Promise<void>((resolve) => s.close(() => resolve())) }

t.test('a port taken by another listener is tried again until it is free', async (t) => {
  const squatter = createServer()
  await listenOn(squatter, 0)
  const port = (squatter.address() as { port: number }).port
  const server = createServer((socket) => socket.end('mine'))
  t.teardown(async () => { await close(server) })
  let freed = false
  setTimeout(() => { freed = true; squatter.close() }, 500)
  await listenOn(server, port)
  t.ok(freed, 'it listened only once the other let the port go')
  t.equal((server.address() as { port: number }).port, port, 'on the port asked for')
})

t.test('another error is not retried', async (t) => {
  const server = createServer()
  await t.rejects(listenOn(server, 70000), { code: 'ERR_SOCKET_BAD_PORT' })
})
