// Test helpers for the Redis suites: a real redis-server on a free port, and a token endpoint that counts refreshes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from 'node:http'
import { createConnection, createServer } from 'node:net'

/** True when a `redis-server` binary is on the PATH. */
export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
}

/**
 * Whether a Redis suite can run. Without `redis-server`: in CI (`CI=true`) this throws, so the
 * suite fails instead of passing by skipping; elsewhere it warns loudly and returns false.
 */
export function requireRedisServer(suite: string): boolean {
  if (redisServerInstalled()) return true
  const message = `${suite}: "redis-server" is not installed. Install the Debian package redis-server (apt-get install -y --no-install-recommends redis-server).`
  if (process.env.CI === 'true') throw new Error(`${message} CI must run the Redis suites, so this fails rather than skips.`)
  console.warn(`\n!!! SKIPPING ${message}\n`)
  return false
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
    socket.once('connect', () => socket.write('PING\r\n'))
  })
}

/** A redis-server this test file started; `stop` ends it. */
export interface RedisServer {
  port: number
  url: string
  stop(): Promise<void>
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    // redis-server shuts down on SIGTERM; with --save '' it writes nothing.
    child.kill('SIGTERM')
  })
}

async function startOnce(): Promise<RedisServer> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited early on port ${port}:\n${output}`)
    if (await ping(port)) break
    if (Date.now() > deadline) {
      await stopChild(child)
      throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) }
}

/** Starts `redis-server` on a free 127.0.0.1 port and waits until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown
  // The free port may be taken between our probe and redis-server's bind: try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce()
    } catch (err) {
      lastError = err
    }
  }
  throw lastError
}

/** A node:http OpenID provider with just discovery and a rotating refresh_token grant. */
export interface TokenEndpoint {
  /** `http://127.0.0.1:<port>/` */
  issuer: string
  /** refresh_token grants that were answered with new tokens. */
  readonly refreshes: number
  /** refresh_token grants refused because the refresh token was not the current one. */
  readonly rejected: number
  /** The refresh token the endpoint accepts now. */
  readonly currentRefreshToken: string
  close(): Promise<void>
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

/**
 * Starts the token endpoint. It accepts `refreshToken` once, then rotates: each accepted grant
 * answers a new opaque access token (expires_in 3600) and a new refresh token, after
 * `delayMs` (so that a refresh is in flight long enough for others to collide with it).
 * Reuse of an old refresh token is answered 400 invalid_grant, as Auth0 does.
 */
export async function startTokenEndpoint(p: { refreshToken: string; delayMs?: number }): Promise<TokenEndpoint> {
  let current = p.refreshToken
  let refreshes = 0
  let rejected = 0
  let issuer = ''
  const server = createHttpServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer)
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}authorize`,
        token_endpoint: `${issuer}oauth/token`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      })
      return
    }
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      const form = new URLSearchParams(await readBody(req))
      if (form.get('grant_type') !== 'refresh_token') {
        json(res, 400, { error: 'unsupported_grant_type' })
        return
      }
      if (form.get('refresh_token') !== current) {
        rejected++
        json(res, 400, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
        return
      }
      // Rotate at once, before the delay: a second request with the same token must fail.
      refreshes++
      current = `rt-${refreshes}-${randomBytes(6).toString('hex')}`
      const body = { access_token: `at-${refreshes}-${randomBytes(6).toString('hex')}`, token_type: 'Bearer', expires_in: 3600, refresh_token: current }
      if (p.delayMs) await new Promise((resolve) => setTimeout(resolve, p.delayMs))
      json(res, 200, body)
      return
    }
    json(res, 404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  issuer = `http://127.0.0.1:${port}/`
  return {
    issuer,
    get refreshes() {
      return refreshes
    },
    get rejected() {
      return rejected
    },
    get currentRefreshToken() {
      return current
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
