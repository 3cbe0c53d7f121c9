// The service as production runs it behind a reverse proxy: instances of
// src/server.ts as separate processes on one PostgreSQL database, and
// Debian's nginx in front of them, each started by the test on loopback
// ports with everything of theirs (nginx's configuration, pid file, logs and
// temporary folders, the instances' logs) in one temporary folder.
//
// Which instance answers is chosen per request and shown per answer, so that
// a test can make a flow cross from one instance to the other and check that
// it did: on nginx's steered port the request headers X-Get-Instance and
// X-Post-Instance (`a` or `b`; none: a) pick the instance for GET and for
// POST requests (a form posted to B, its redirect followed on A), and nginx
// answers with X-Upstream (the instance's address) and drops the two
// headers before it passes the request on. Its balanced port spreads
// requests over both in turn, as a production upstream does.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import type { Config } from '../../src/config.ts'
import { openDatabase } from '../../src/db/database.ts'
import { providerDeps as openProviderDeps } from '../../src/provider-deps.ts'
import type { Deps } from '../../src/types.ts'
import { nodeCommand } from './child-env.ts'
import { eventually } from './wait.ts'

export const nginxPath = process.env.NGINX_PATH ?? '/usr/sbin/nginx'
export const opensslPath = process.env.OPENSSL_PATH ?? '/usr/bin/openssl'

/** Why the proxy test cannot run here (no nginx, or no openssl for its certificate), or undefined when it can; with E2E_REQUIRED=1 either missing is an error. */
export function nginxMissing (): string | undefined {
  const why = !existsSync(nginxPath)
    ? `nginx not found at ${nginxPath} (apt-get install -y nginx-light, or set NGINX_PATH)`
    : !existsSync(opensslPath) ? `openssl not found at ${opensslPath} (apt-get install -y openssl, or set OPENSSL_PATH)` : undefined
  if (why !== undefined && process.env.E2E_REQUIRED === '1') throw new Error(why)
  return why
}

/** A key and a self-signed certificate for 127.0.0.1, made by openssl in `dir`: what nginx terminates TLS with. */
function selfSignedCertificate (dir: string): { cert: string, key: string } {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync(opensslPath, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' })
  return { cert, key }
}

export interface HttpsAnswer { status: number, headers: IncomingHttpHeaders }

/** A GET over https that trusts the certificate `ca` (nginx's own) and reads the answer's status and headers. */
async function httpsGet (url: string, ca: string, headers: Record<string, string> = {}): Promise<HttpsAnswer> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A free TCP port on loopback (the kernel's choice, released at once). */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

interface Teardown { teardown: (fn: () => unknown) => void }

/** A temporary folder for one test file's processes, removed at its end. */
export function workDir (t: Teardown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-proxy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function tail (file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Sends SIGTERM and waits (up to the ceiling) for the process to exit; its exit code, or the signal's name. */
async function stop (child: ChildProcess, what: string, log: string): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode
  if (child.signalCode !== null) return child.signalCode
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const ceiling = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${what} did not exit within 60 s of SIGTERM; its log:\n${tail(log)}`))
    }, 60_000)
  })
  try {
    return await Promise.race([exited, ceiling])
  } finally {
    clearTimeout(timer)
  }
}

export interface Instance {
  name: string
  port: number
  /** host:port as nginx's $upstream_addr names it. */
  address: string
  log: string
  child: ChildProcess
  /** SIGTERM, then its exit code (0: it closed gracefully). */
  stop: () => Promise<number | string>
}

/**
 * Starts `node --import tsx src/server.ts` (what `npm start` runs, from the
 * sources) with `env` on 127.0.0.1 and PORT=0 (the system's choice of port,
 * read from the line the service prints, so no other process can take it
 * first), and waits until its /healthz answers (`healthPath`, under
 * BASE_PATH). The teardown stops it.
 */
export async function startInstance (t: Teardown, dir: string, name: string, env: Record<string, string>, healthPath: string): Promise<Instance> {
  const log = path.join(dir, `instance-${name}.log`)
  writeFileSync(log, '')
  const out = openSync(log, 'a')
  const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, ...env, HOST: '127.0.0.1', PORT: '0' }
  const child = spawn(...nodeCommand(['--import', 'tsx', 'src/server.ts'], childEnv), {
    env: childEnv,
    stdio: ['ignore', out, out]
  })
  closeSync(out)
  const stopIt = async (): Promise<number | string> => await stop(child, `instance ${name}`, log)
  t.teardown(stopIt)
  const exited = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`instance ${name} exited (${child.exitCode ?? child.signalCode}) while starting; its log:\n${tail(log)}`)
  }
  const port = await eventually(`instance ${name} to listen`, () => {
    exited()
    const m = readFileSync(log, 'utf8').match(/is listening on http:\/\/127\.0\.0\.1:(\d+)\//)
    return m === null ? undefined : Number(m[1])
  }, () => `no "is listening on" line yet; its log:\n${tail(log)}`, 180_000)
  await eventually(`instance ${name} to answer ${healthPath}`, async () => {
    exited()
    try {
      const res = await fetch(`http://127.0.0.1:${port}${healthPath}`)
      return res.status === 200 ? true : undefined
    } catch {
      return undefined
    }
  }, () => `no answer yet; its log:\n${tail(log)}`)
  return { name, port, address: `127.0.0.1:${port}`, log, child, stop: stopIt }
}

export interface Nginx {
  /** https://127.0.0.1:port, where a test steers: X-Get-Instance and X-Post-Instance pick the instance (none: a). */
  origin: string
  /** https://127.0.0.1:port, which spreads requests over both instances in turn (round robin), as a production upstream does. */
  balancedOrigin: string
  /** A GET through nginx (its certificate trusted), e.g. `${origin}/account/login`. */
  get: (url: string, headers?: Record<string, string>) => Promise<HttpsAnswer>
  /** The folder of its configuration, pid file, logs and temporary files. */
  prefix: string
  config: string
  errorLog: string
  accessLog: string
  /** The address nginx connects to the instances from (proxy_bind): what TRUST_PROXY names. */
  bindAddress: string
  /** Points the upstreams at the instances (a new configuration, reloaded); resolves once nginx reaches each. */
  proxyTo: (instances: { a: Instance, b: Instance }) => Promise<void>
  stop: () => Promise<number | string>
}

/**
 * The nginx configuration: two servers on https (TLS ends at nginx, as at a
 * provider's front end; the instances speak plain http behind it) whose
 * `location` proxies `basePath` (kept as it is: the instances serve under
 * the same BASE_PATH) with the X-Forwarded-* headers a production proxy
 * sets (X-Forwarded-Proto: https), connecting from
 * `bindAddress` (127.0.0.2 here, so that the proxy's own address differs
 * from the browser's 127.0.0.1). On `ports.steered` X-Get-Instance and
 * X-Post-Instance pick the upstream by method (none: a); on
 * `ports.balanced` requests go to both in turn (one worker, round robin).
 */
export function nginxConfig (prefix: string, ports: { steered: number, balanced: number }, basePath: string, instances: { a: string, b: string }, bindAddress: string, tls: { cert: string, key: string }): string {
  const p = (name: string): string => path.join(prefix, name)
  // Run as root (CI's containers), nginx's workers would drop to nobody, who cannot use the temporary folder.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : ''
  const location = (upstream: string): string => `    location ${basePath} {
      proxy_pass http://${upstream};
      proxy_bind ${bindAddress};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Get-Instance "";
      proxy_set_header X-Post-Instance "";
      add_header X-Upstream $upstream_addr always;
    }`
  return `# Generated by test/helpers/proxy.ts
${user}daemon off;
master_process on;
worker_processes 1;
pid ${p('nginx.pid')};
error_log ${p('error.log')} info;

events {
  worker_connections 256;
}

http {
  client_body_temp_path ${p('tmp/body')};
  proxy_temp_path ${p('tmp/proxy')};
  fastcgi_temp_path ${p('tmp/fastcgi')};
  uwsgi_temp_path ${p('tmp/uwsgi')};
  scgi_temp_path ${p('tmp/scgi')};
  # One line a request: what was asked, the answer's status and which instance gave it.
  log_format upstream '$request_method $request_uri $status upstream=$upstream_addr';
  access_log ${p('access.log')} upstream;
  client_max_body_size 8m;
  ssl_certificate ${tls.cert};
  ssl_certificate_key ${tls.key};

  upstream inst_a { server ${instances.a} max_fails=0; }
  upstream inst_b { server ${instances.b} max_fails=0; }
  upstream both {
    server ${instances.a} max_fails=0;
    server ${instances.b} max_fails=0;
  }
  # Steering by method, so that a redirect (a GET) goes where the test says
  # whichever headers the browser carries over from the POST before it.
  map "$request_method $http_x_get_instance $http_x_post_instance" $steered {
    default inst_a;
    "~^POST .* b$" inst_b;
    "~^(GET|HEAD) b " inst_b;
  }

  server {
    listen 127.0.0.1:${ports.steered} ssl;
${location('$steered')}
  }

  server {
    listen 127.0.0.1:${ports.balanced} ssl;
${location('both')}
  }
}
`
}

/** Before the instances are started: upstreams nothing listens on (port 9, discard), replaced by proxyTo. */
const NOWHERE = { a: '127.0.0.1:9', b: '127.0.0.1:9' }

/**
 * Starts nginx (in the foreground, as this user) in `dir`/nginx on two
 * free ports, before the instances, so that PUBLIC_URL can name its port;
 * proxyTo() then points it at them. Ports are picked just before nginx
 * binds them; should another process take one in between, nginx is
 * started again on others. The teardown stops it.
 */
export async function startNginx (t: Teardown, dir: string, basePath: string, healthPath: string): Promise<Nginx> {
  const prefix = path.join(dir, 'nginx')
  mkdirSync(path.join(prefix, 'tmp'), { recursive: true })
  const bindAddress = '127.0.0.2'
  const config = path.join(prefix, 'nginx.conf')
  const errorLog = path.join(prefix, 'error.log')
  const accessLog = path.join(prefix, 'access.log')
  const out = path.join(prefix, 'stderr.log')
  const tls = selfSignedCertificate(prefix)
  const ca = readFileSync(tls.cert, 'utf8')
  const get = async (url: string, headers?: Record<string, string>): Promise<HttpsAnswer> => await httpsGet(url, ca, headers)
  for (let tries = 1; ; tries++) {
    const ports = { steered: await freePort(), balanced: await freePort() }
    writeFileSync(config, nginxConfig(prefix, ports, basePath, NOWHERE, bindAddress, tls))
    writeFileSync(out, '')
    const fd = openSync(out, 'a')
    // -e: the log of startup, before the configuration is read (else /var/log/nginx/error.log).
    const child = spawn(nginxPath, ['-p', prefix, '-c', config, '-e', errorLog], { stdio: ['ignore', fd, fd] })
    closeSync(fd)
    const stopIt = async (): Promise<number | string> => await stop(child, 'nginx', errorLog)
    t.teardown(stopIt)
    const exited = (): boolean => child.exitCode !== null || child.signalCode !== null
    const status = async (port: number, instance = 'a'): Promise<{ status: number, upstream: string | undefined } | undefined> => {
      try {
        const res = await get(`https://127.0.0.1:${port}${healthPath}`, { 'x-get-instance': instance })
        const upstream = res.headers['x-upstream']
        return { status: res.status, upstream: typeof upstream === 'string' ? upstream : undefined }
      } catch {
        return undefined
      }
    }
    // Listening once both ports answer (502: no instance yet), unless nginx exited.
    const up = await eventually('nginx to listen', async () => exited() ? false : (await status(ports.steered) !== undefined && await status(ports.balanced) !== undefined) ? true : undefined,
      () => `${tail(out)}\n${tail(errorLog)}`)
    if (!up) {
      if (tries < 5 && /Address already in use/.test(readFileSync(out, 'utf8') + readFileSync(errorLog, 'utf8'))) continue
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}); ${tail(out)}\n${tail(errorLog)}`)
    }
    return {
      origin: `https://127.0.0.1:${ports.steered}`,
      balancedOrigin: `https://127.0.0.1:${ports.balanced}`,
      get,
      prefix,
      config,
      errorLog,
      accessLog,
      bindAddress,
      stop: stopIt,
      async proxyTo (instances) {
        writeFileSync(config, nginxConfig(prefix, ports, basePath, { a: instances.a.address, b: instances.b.address }, bindAddress, tls))
        child.kill('SIGHUP')
        // Reloaded once its new worker answers: each instance reached through the steered port, and the balanced port reaching them.
        for (const instance of [instances.a, instances.b]) {
          await eventually(`nginx to proxy to instance ${instance.name}`, async () => {
            if (exited()) throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}); ${tail(errorLog)}`)
            const r = await status(ports.steered, instance.name)
            return r?.status === 200 && r.upstream === instance.address ? true : undefined
          }, () => tail(errorLog))
        }
        await eventually('nginx\'s balanced port to reach the instances', async () => (await status(ports.balanced))?.status === 200 ? true : undefined, () => tail(errorLog))
      }
    }
  }
}

/**
 * The service's Deps in the test's own process, as the provider CLI builds
 * them (src/cli.ts): the database of the instances and their job queue to
 * send to, without workers (the instances deliver what it queues). For
 * seeding accounts and reading the database; it serves no request.
 */
export async function providerDeps (t: Teardown, config: Readonly<Config>): Promise<Deps> {
  const database = await openDatabase(config)
  const deps = await openProviderDeps(config, database)
  t.teardown(async () => {
    await deps.jobs.stop()
    await database.close()
  })
  return deps
}
