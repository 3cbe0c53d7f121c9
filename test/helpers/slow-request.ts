// A form POST whose body arrives in two parts, the second when the test says:
// a request held in flight without a slow route in the product. It asks
// `Expect: 100-continue` and returns only once the server has answered
// 100 Continue: by then the server has the request (not an idle connection)
// and waits for the rest of the body.
import http from 'node:http'
import { CEILING_MS } from './wait.ts'

export interface SlowAnswer { status: number, headers: http.IncomingHttpHeaders, body: string }

export async function slowPost (port: number, path: string, headers: Record<string, string>, body: string): Promise<{ finish: () => Promise<SlowAnswer> }> {
  const half = Math.floor(body.length / 2)
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: { ...headers, expect: '100-continue', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }
  })
  const answer = new Promise<SlowAnswer>((resolve, reject) => {
    req.once('error', reject)
    req.once('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      res.once('error', reject)
    })
  })
  answer.catch(() => {}) // awaited by finish(); not an unhandled rejection before then
  // No wait without a ceiling: a connection silent that long fails the test, saying so.
  req.setTimeout(CEILING_MS, () => { req.destroy(new Error(`slowPost ${path}: the connection was silent for ${CEILING_MS} ms`)) })
  req.flushHeaders()
  await new Promise<void>((resolve, reject) => {
    req.once('continue', resolve)
    answer.then((a) => { reject(new Error(`slowPost ${path}: answered ${a.status} before 100 Continue`)) }, reject)
  })
  await new Promise<void>((resolve, reject) => req.write(body.slice(0, half), (err) => err ? reject(err) : resolve()))
  return {
    finish: async () => {
      req.end(body.slice(half))
      return await answer
    }
  }
}
