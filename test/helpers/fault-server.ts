// A local authorization server on 127.0.0.1 whose token endpoint misbehaves on cue: drops, stalls, resets, 429/503, lost rotations.
//
// Two listeners on 127.0.0.1, each on a port of the kernel's choosing:
// - `token`: POST /oauth/token and /oauth/revoke, node:http behind a node:net front. Every
//   answer says `connection: close`, so each connection carries one request; the front picks
//   the fault when the connection's first bytes arrive (see #makeTokenServer), which is what
//   lets "drop the connection before reading the request" be a per-request fault.
// - `meta`: the discovery document (the issuer) and a small protected API (/api/whoami) that
//   accepts the access tokens the token endpoint issued. Kept apart so that discovery and API
//   calls never take a fault meant for a token request, and never share its connections.
//
// The token endpoint rotates refresh tokens like Auth0 with rotation on: each refresh spends
// the token it was given and issues a new one; spending a rotated-away token again is taken as
// theft and revokes the whole family (invalid_grant). Only `ok`, `slow-*`, `reset-mid-body`
// and `rotate-then-drop` let the server act (spend a code, rotate); the other faults happen
// before it does.
import { randomBytes } from 'node:crypto'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { type AddressInfo, type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net'
import type { ClientConfig } from 'authcode'

export const CLIENT_ID = 'fault-client'
export const CLIENT_SECRET = 'fault-client-secret-0123456789'
export const REDIRECT_URI = 'http://127.0.0.1/callback'

/** What the token listener does with one connection (one request). */
export type Fault =
  /** Act and answer normally. */
  | { kind: 'ok' }
  /**
   * socket.destroy() when the request's first bytes arrive, before the HTTP server reads them:
   * the request left the client, the server never saw it.
   */
  | { kind: 'drop-before-read' }
  /**
   * socket.destroy() as soon as a new connection is accepted (only when this fault is first in
   * the queue at that moment). Only meaningful when the client has no spare connection open.
   */
  | { kind: 'drop-on-connect' }
  /** Read the whole request, then close (FIN, or RST with `reset`) without acting or answering. */
  | { kind: 'drop-after-read'; reset?: boolean }
  /** Wait `delayMs` before acting and answering; a client that has gone by then is not acted for. */
  | { kind: 'slow-headers'; delayMs: number }
  /** Act, send the headers and half the body, wait `delayMs`, send the rest. */
  | { kind: 'slow-body'; delayMs: number }
  /** Act, send the headers (with the full content-length) and part of the JSON, then destroy the socket. */
  | { kind: 'reset-mid-body' }
  /** Answer 429/503 without acting. `retryAfter`: a raw header value, or an HTTP-date `inMs` from now (rounded up to a second). */
  | { kind: 'status'; status: 429 | 503; retryAfter?: string | { inMs: number }; body?: 'json' | 'html' }
  /** Act (spend the code, rotate the refresh token), then destroy the socket before answering. */
  | { kind: 'rotate-then-drop' }
  /** Answer 200 with a body of `bytes` bytes, with or without a content-length; do not act. */
  | { kind: 'huge-body'; bytes: number; declareLength: boolean }

export type FaultKind = Fault['kind']

/** One connection the token listener accepted (or one request the meta listener got). */
export interface RequestRecord {
  seq: number
  listener: 'token' | 'meta'
  /** Date.now() when the connection (token) or request (meta) arrived. */
  at: number
  fault: FaultKind
  /** undefined when the request was never read. */
  method?: string
  path?: string
  /** The form's grant_type, for token requests that were read. */
  grant?: string
  form?: URLSearchParams
  /** True when the server changed its state for this request (spent a code, rotated a token). */
  acted: boolean
  /** The status sent, when an answer (or its head) went out. */
  status?: number
}

/** A refresh-token family: one login, all the refresh tokens rotated from it. */
export interface Family {
  id: string
  label: string
  expiresIn: number
  /** Every refresh token issued, oldest first; the last is the only one that may be spent. */
  refreshTokens: string[]
  revoked: boolean
  /** Refreshes the server acted on (rotations). */
  rotations: number
  /** Times a rotated-away refresh token came back (each one revoked the family). */
  reuses: number
  /** Date.now() of each rotation. */
  rotatedAt: number[]
}

interface Code {
  label: string
  expiresIn: number
  used: boolean
}

interface AccessTokenInfo {
  family: Family
  /** Date.now() + expires_in when issued. */
  expMs: number
}

export interface FaultServerOptions {
  /** expires_in of tokens whose code did not say (seconds). Default 3600. */
  expiresIn?: number
  /** How long past its expiry the API still accepts an access token (clock skew). Default 2000 ms. */
  apiGraceMs?: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function token(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= 64 * 1024) chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** The scriptable server; make one with {@link startFaultServer}. */
export class FaultServer {
  readonly log: RequestRecord[] = []
  readonly families = new Map<string, Family>()
  /** Faults for the next token connections, in order; `ok` once empty (or the picker's choice). */
  readonly queue: Fault[] = []
  /** Faults for the next meta (discovery/API) requests, in order; drop-* and status only. */
  readonly metaQueue: Fault[] = []
  /** Picks a fault for a token connection when the queue is empty (the soak test's dice). */
  picker: (() => Fault) | undefined
  /** Counts of API answers by status. */
  readonly apiAnswers = new Map<number, number>()

  readonly #options: Required<FaultServerOptions>
  readonly #codes = new Map<string, Code>()
  readonly #refreshTokens = new Map<string, Family>()
  readonly #accessTokens = new Map<string, AccessTokenInfo>()
  readonly #faultOf = new WeakMap<Socket, Fault>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly #sockets = new Set<Socket>()
  #tokenServer: NetServer
  #tokenHttp: Server | undefined
  #metaServer: Server
  #tokenPort = 0
  #metaPort = 0
  #seq = 0
  #apiLogged = 0
  #closed = false

  constructor(options: FaultServerOptions = {}) {
    this.#options = { expiresIn: options.expiresIn ?? 3600, apiGraceMs: options.apiGraceMs ?? 2000 }
    this.#tokenServer = this.#makeTokenServer()
    this.#metaServer = createServer((req, res) => void this.#onMeta(req, res).catch(() => res.destroy()))
  }

  async start(): Promise<this> {
    this.#tokenPort = await listen(this.#tokenServer)
    this.#metaPort = await listen(this.#metaServer)
    return this
  }

  /** The issuer for a ClientConfig (`issuer` + allowInsecureRequests). */
  get issuer(): string {
    return `http://127.0.0.1:${this.#metaPort}/`
  }

  get tokenEndpoint(): string {
    return `http://127.0.0.1:${this.#tokenPort}/oauth/token`
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.#metaPort}/api/whoami`
  }

  /** A ClientConfig for this server: confidential client, client_secret_post, http allowed. */
  clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
    return { issuer: this.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, allowInsecureRequests: true, ...extra }
  }

  /** Queues faults for the next token connections. */
  enqueue(...faults: Fault[]): void {
    this.queue.push(...faults)
  }

  /** An authorization code for a new login (family) labelled `label`. */
  mintCode(label: string, expiresIn = this.#options.expiresIn): string {
    const code = token('code')
    this.#codes.set(code, { label, expiresIn, used: false })
    return code
  }

  codeUsed(code: string): boolean {
    return this.#codes.get(code)?.used === true
  }

  /** The family a refresh token belongs to. */
  familyOf(refreshToken: string): Family | undefined {
    return this.#refreshTokens.get(refreshToken)
  }

  /** The family of the login labelled `label` (the latest, if several). */
  familyByLabel(label: string): Family | undefined {
    let found: Family | undefined
    for (const family of this.families.values()) if (family.label === label) found = family
    return found
  }

  /** True when `refreshToken` is the one its family would accept now (latest, not revoked). */
  isCurrent(refreshToken: string | undefined): boolean {
    if (refreshToken === undefined) return false
    const family = this.#refreshTokens.get(refreshToken)
    return family !== undefined && !family.revoked && family.refreshTokens.at(-1) === refreshToken
  }

  /** Whether the API would accept this access token now. */
  accepts(accessToken: string): boolean {
    const info = this.#accessTokens.get(accessToken)
    return info !== undefined && !info.family.revoked && Date.now() <= info.expMs + this.#options.apiGraceMs
  }

  /** Token-listener records (one per connection), optionally of one grant (read requests only). */
  tokenRequests(grant?: string): RequestRecord[] {
    return this.log.filter((r) => r.listener === 'token' && (grant === undefined || r.grant === grant))
  }

  /** Token-listener connections by grant_type; `unread` for those dropped before the request was read. */
  countsByGrant(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const r of this.tokenRequests()) {
      const grant = r.grant ?? (r.path === undefined ? 'unread' : r.path)
      counts[grant] = (counts[grant] ?? 0) + 1
    }
    return counts
  }

  metaRequests(path?: string): RequestRecord[] {
    return this.log.filter((r) => r.listener === 'meta' && (path === undefined || r.path === path))
  }

  /** Clears the log, the queues and the picker (state of codes and families is kept). */
  resetLog(): void {
    this.log.length = 0
    this.queue.length = 0
    this.metaQueue.length = 0
    this.picker = undefined
    this.apiAnswers.clear()
    this.#apiLogged = 0
  }

  /** Stops the token listener: connections to its port are then refused. */
  async stopTokenListener(): Promise<void> {
    await this.#closeToken()
  }

  async #closeToken(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    this.#tokenHttp?.closeAllConnections()
    await new Promise<void>((resolve) => this.#tokenServer.close(() => resolve()))
  }

  /** Listens again on the token listener's old port. */
  async restartTokenListener(): Promise<void> {
    this.#tokenServer = this.#makeTokenServer()
    await new Promise<void>((resolve, reject) => {
      this.#tokenServer.once('error', reject)
      this.#tokenServer.listen(this.#tokenPort, '127.0.0.1', () => resolve())
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    await Promise.all([this.#closeToken(), closeServer(this.#metaServer)])
  }

  // --- token listener ---------------------------------------------------------------------

  // A net.Server in front of the HTTP server: the fault is picked when a connection's first
  // bytes arrive, i.e. per request. (undici opens a spare connection right after an aborted
  // one and sends the next request on it, so picking at accept time would give a fault to the
  // wrong request.) The chunk is put back and the socket handed to the HTTP server.
  #makeTokenServer(): NetServer {
    const http = createServer((req, res) => void this.#onToken(req, res).catch(() => req.socket.destroy()))
    const front = createNetServer((socket: Socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
      socket.on('error', () => {})
      if (this.queue[0]?.kind === 'drop-on-connect') {
        this.queue.shift()
        this.log.push({ seq: ++this.#seq, listener: 'token', at: Date.now(), fault: 'drop-on-connect', acted: false })
        socket.destroy()
        return
      }
      socket.once('data', (chunk: Buffer) => {
        const fault = this.queue.shift() ?? this.picker?.() ?? { kind: 'ok' }
        if (fault.kind === 'drop-before-read' || fault.kind === 'drop-on-connect') {
          this.log.push({ seq: ++this.#seq, listener: 'token', at: Date.now(), fault: fault.kind, acted: false })
          socket.destroy()
          return
        }
        this.#faultOf.set(socket, fault)
        socket.pause()
        socket.unshift(chunk)
        http.emit('connection', socket)
        socket.resume()
      })
    })
    this.#tokenHttp = http
    return front
  }

  async #wait(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        resolve()
      }, ms)
      this.#timers.add(timer)
    })
  }

  async #onToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: RequestRecord = { seq: ++this.#seq, listener: 'token', at: Date.now(), fault: 'ok', acted: false }
    this.log.push(record)
    const fault = this.#faultOf.get(req.socket) ?? { kind: 'ok' }
    this.#faultOf.delete(req.socket)
    record.fault = fault.kind
    let clientGone = false
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true
    })
    const text = await readBody(req)
    const form = new URLSearchParams(text)
    record.method = req.method ?? ''
    record.path = new URL(req.url ?? '/', 'http://x').pathname
    record.form = form
    const grant = form.get('grant_type')
    if (grant !== null) record.grant = grant

    switch (fault.kind) {
      case 'drop-after-read':
        if (fault.reset === true) req.socket.resetAndDestroy()
        else req.socket.destroy()
        return
      case 'status': {
        const headers: Record<string, string> = { connection: 'close' }
        if (typeof fault.retryAfter === 'string') headers['retry-after'] = fault.retryAfter
        else if (fault.retryAfter !== undefined) {
          headers['retry-after'] = new Date(Math.ceil((Date.now() + fault.retryAfter.inMs) / 1000) * 1000).toUTCString()
        }
        record.status = fault.status
        if (fault.body === 'html') {
          res.writeHead(fault.status, { ...headers, 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>')
        } else {
          const error = fault.status === 429 ? 'too_many_requests' : 'temporarily_unavailable'
          res.writeHead(fault.status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify({ error, error_description: 'try again later' }))
        }
        return
      }
      case 'huge-body': {
        record.status = 200
        const headers: Record<string, string> = { connection: 'close', 'content-type': 'application/json' }
        if (fault.declareLength) headers['content-length'] = String(fault.bytes)
        res.writeHead(200, headers)
        // A JSON string of the right size, streamed; a client that hangs up ends it.
        const chunk = Buffer.alloc(64 * 1024, 'a')
        let left = fault.bytes
        res.write('{"access_token":"')
        left -= 17
        while (left > 2 && !clientGone && !this.#closed) {
          const n = Math.min(chunk.length, left - 2)
          const ok = res.write(n === chunk.length ? chunk : chunk.subarray(0, n))
          left -= n
          // Wait for drain or close, and take both listeners off again: one pair per chunk would pile up.
          if (!ok) {
            await new Promise<void>((resolve) => {
              const done = () => {
                res.off('drain', done).off('close', done)
                resolve()
              }
              res.on('drain', done).on('close', done)
            })
          }
        }
        if (!clientGone) res.end('"}')
        return
      }
      case 'slow-headers':
        await this.#wait(fault.delayMs)
        if (clientGone || req.socket.destroyed || this.#closed) return // gone: nothing to act for
        break
      default:
        break
    }

    const answer = this.#handleToken(record, form)
    record.status = answer.status
    const body = JSON.stringify(answer.json)
    const headers = { connection: 'close', 'content-type': 'application/json', 'cache-control': 'no-store' }
    switch (fault.kind) {
      case 'rotate-then-drop':
        req.socket.destroy()
        return
      case 'reset-mid-body':
        res.writeHead(answer.status, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
        res.write(body.slice(0, Math.floor(body.length / 2)))
        await this.#wait(10)
        req.socket.destroy()
        return
      case 'slow-body':
        res.writeHead(answer.status, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
        res.write(body.slice(0, Math.floor(body.length / 2)))
        await this.#wait(fault.delayMs)
        if (clientGone || this.#closed) return
        res.end(body.slice(Math.floor(body.length / 2)))
        return
      default:
        res.writeHead(answer.status, headers).end(body)
    }
  }

  #issue(family: Family): Record<string, unknown> {
    const accessToken = token('at')
    const refreshToken = token('rt')
    family.refreshTokens.push(refreshToken)
    this.#refreshTokens.set(refreshToken, family)
    this.#accessTokens.set(accessToken, { family, expMs: Date.now() + family.expiresIn * 1000 })
    return { access_token: accessToken, token_type: 'Bearer', expires_in: family.expiresIn, refresh_token: refreshToken, scope: 'openid offline_access' }
  }

  // The authorization server proper: validates the client and the grant, changes state, answers.
  #handleToken(record: RequestRecord, form: URLSearchParams): { status: number; json: Record<string, unknown> } {
    const invalidGrant = (description: string) => ({ status: 400, json: { error: 'invalid_grant', error_description: description } })
    if (record.path === '/oauth/revoke') {
      const family = this.#refreshTokens.get(form.get('token') ?? '')
      if (family !== undefined) {
        family.revoked = true
        record.acted = true
      }
      return { status: 200, json: {} }
    }
    if (record.path !== '/oauth/token') return { status: 404, json: { error: 'not_found' } }
    if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) {
      return { status: 401, json: { error: 'invalid_client', error_description: 'Client authentication failed' } }
    }
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.#codes.get(form.get('code') ?? '')
        if (code === undefined || code.used) return invalidGrant('Invalid authorization code')
        code.used = true
        record.acted = true
        const family: Family = { id: token('fam'), label: code.label, expiresIn: code.expiresIn, refreshTokens: [], revoked: false, rotations: 0, reuses: 0, rotatedAt: [] }
        this.families.set(family.id, family)
        return { status: 200, json: this.#issue(family) }
      }
      case 'refresh_token': {
        const presented = form.get('refresh_token') ?? ''
        const family = this.#refreshTokens.get(presented)
        if (family === undefined) return invalidGrant('Unknown or invalid refresh token.')
        if (family.revoked) return invalidGrant('Unknown or invalid refresh token.')
        if (family.refreshTokens.at(-1) !== presented) {
          // Reuse of a rotated-away token: Auth0 (and oidc-provider) revoke the whole family.
          family.revoked = true
          family.reuses++
          record.acted = true
          return invalidGrant('Unknown or invalid refresh token.')
        }
        family.rotations++
        family.rotatedAt.push(Date.now())
        record.acted = true
        return { status: 200, json: this.#issue(family) }
      }
      default:
        return { status: 400, json: { error: 'unsupported_grant_type' } }
    }
  }

  // --- meta listener: discovery and the API -----------------------------------------------

  async #onMeta(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const record: RequestRecord = { seq: ++this.#seq, listener: 'meta', at: Date.now(), fault: 'ok', method: req.method ?? '', path, acted: false }
    // API calls are many in the soak test: only the first 1,000 are kept in the log.
    if (path !== '/api/whoami' || this.#apiLogged++ < 1000) this.log.push(record)
    await readBody(req)
    const fault = path === '/.well-known/openid-configuration' ? this.metaQueue.shift() : undefined
    if (fault !== undefined) {
      record.fault = fault.kind
      if (fault.kind === 'drop-after-read' || fault.kind === 'drop-before-read') {
        req.socket.destroy()
        return
      }
      if (fault.kind === 'status') {
        record.status = fault.status
        res.writeHead(fault.status, { 'retry-after': typeof fault.retryAfter === 'string' ? fault.retryAfter : '0' }).end()
        return
      }
    }
    const json = (status: number, body: unknown) => {
      record.status = status
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    if (path === '/.well-known/openid-configuration') {
      const tokenBase = `http://127.0.0.1:${this.#tokenPort}`
      return json(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}authorize`,
        token_endpoint: `${tokenBase}/oauth/token`,
        revocation_endpoint: `${tokenBase}/oauth/revoke`,
        token_endpoint_auth_methods_supported: ['client_secret_post'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      })
    }
    if (path === '/api/whoami') {
      const auth = req.headers.authorization ?? ''
      const accessToken = auth.startsWith('Bearer ') ? auth.slice(7) : ''
      const ok = this.accepts(accessToken)
      const status = ok ? 200 : 401
      this.apiAnswers.set(status, (this.apiAnswers.get(status) ?? 0) + 1)
      if (!ok) {
        record.status = 401
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end()
        return
      }
      return json(200, { family: this.#accessTokens.get(accessToken)?.family.label })
    }
    json(404, { error: 'not_found' })
  }
}

/** Starts a {@link FaultServer} on two free 127.0.0.1 ports. */
export function startFaultServer(options?: FaultServerOptions): Promise<FaultServer> {
  return new FaultServer(options).start()
}

/** A fetch that counts the attempts the SDK made (including those refused before reaching a server). */
export function countingFetch(onAttempt?: (url: string, n: number) => void | Promise<void>): {
  fetch: typeof fetch
  attempts: string[]
} {
  const attempts: string[] = []
  const counted = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input)
    attempts.push(url)
    try {
      return await globalThis.fetch(input, init)
    } finally {
      await onAttempt?.(url, attempts.length)
    }
  }) as typeof fetch
  return { fetch: counted, attempts }
}

export { prng } from './prng.js'
export { sleep }
