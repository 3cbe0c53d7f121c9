// Where the suite's fake servers (SMTP, SMS gateway, Telegram's Bot API,
// webhook receivers, the OpenID Connect provider) listen: 127.0.0.1, on a
// free port the first time, on the same port when started again after a
// stop (the app's configuration names it: a receiver that was down comes
// back where the app looks for it).
import { createServer } from 'node:net'
import { CEILING_MS } from './wait.ts'

interface Listener {
  listen: (port: number, host: string, callback: () => void) => unknown
  once: (event: 'error', listener: (err: NodeJS.ErrnoException) => void) => unknown
  off: (event: 'error', listener: (err: NodeJS.ErrnoException) => void) => unknown
}

/**
 * Listens on 127.0.0.1:port (0: any free port). While a server is stopped,
 * another test file's listen(0) may be given its port (the kernel picks
 * those at random): a fixed port found taken is tried again until it is
 * free, up to the suite's ceiling, rather than failing the test on
 * another file's luck.
 */
export async function listenOn (server: Listener, port: number): Promise<void> {
  const deadline = Date.now() + CEILING_MS
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve() })
      })
      return
    } catch (err) {
      if (port === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

/**
 * A free port held until release(): for a server whose own address must be
 * known before it is made (the app's PUBLIC_URL, the redirect URI an
 * identity provider registers). Released just before the server listens:
 * another listener could be given it only in the moment between the two,
 * not during the seconds the server takes to be made.
 */
export async function reservePort (): Promise<{ port: number, release: () => Promise<void> }> {
  const holder = createServer()
  await listenOn(holder, 0)
  const port = (holder.address() as { port: number }).port
  return { port, release: async () => { await new Promise<void>((resolve) => holder.close(() => resolve())) } }
}
