// The e2e security suites' servers: the authorization server with its additive options (a private_key_jwt application,
// back-channel logout, DPoP nonces), a small local HTTP server (an API, a logout endpoint), and DPoP proofs made in the test.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, decodeJwt, exportJWK, type JWK } from 'jose'
import {
  createAuthorizationRequest,
  validateCallback,
  type AuthorizationTransaction,
  type ClientConfig,
  type CreateAuthorizationRequestParams,
} from 'authcode'
import { InvalidTokenError, type AccessTokenVerifier } from 'authcode/api'
import { type AuthServer, type AuthServerClient, type AuthServerOptions, CookieJar, browserLogin, startAuthServer } from './auth-server.js'
import { REDIRECT_URI, SCOPE } from './e2e-login.js'

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

export interface PrivateKeyJwtClient {
  clientId: string
  clientAuth: 'private_key_jwt'
}

export interface SecurityServerOptions extends AuthServerOptions {
  /** Registers `authcode-pkjwt-app` (private_key_jwt) with these public keys. */
  privateKeyJwtClientJwks?: { keys: JWK[] }
  /** backchannel_logout_uri of the confidential and private_key_jwt applications. */
  backchannelLogoutUri?: string
  /** Require DPoP nonces on every DPoP request. */
  dpopNonces?: boolean
}

export interface SecurityServer extends AuthServer {
  clients: AuthServer['clients'] & { privateKeyJwt?: PrivateKeyJwtClient }
}

export function startSecurityServer(options: SecurityServerOptions): Promise<SecurityServer> {
  return startAuthServer(options) as Promise<SecurityServer>
}

export interface LocalRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface LocalServer {
  url: string
  requests: LocalRequest[]
  close(): Promise<void>
}

export async function startLocalServer(
  respond: (req: LocalRequest) => Promise<{ status: number; headers?: Record<string, string>; body?: string }>,
): Promise<LocalServer> {
  const requests: LocalRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const record: LocalRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(record)
      respond(record).then(
        (out) => {
          res.writeHead(out.status, out.headers ?? {})
          res.end(out.body ?? '')
        },
        (err: unknown) => {
          res.writeHead(500)
          res.end(String(err))
        },
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/** A fetch that records what went to the authorization server. */
export function recordingFetch(log: { url: URL; method: string; headers: Headers; form: URLSearchParams }[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const text = request.method === 'GET' ? '' : await request.clone().text()
    log.push({ url: new URL(request.url), method: request.method, headers: new Headers(request.headers), form: new URLSearchParams(text) })
    return fetch(request)
  }
}

export function configFor(s: AuthServer, client: AuthServerClient | PrivateKeyJwtClient, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { issuer: s.issuer, allowInsecureRequests: true, ...client, ...extra }
}

export interface Login {
  config: ClientConfig
  transaction: AuthorizationTransaction
  url: URL
  code: string
  jar: CookieJar
}

export async function login(s: AuthServer, config: ClientConfig, params: Partial<CreateAuthorizationRequestParams> = {}, jar?: CookieJar): Promise<Login> {
  const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, scope: SCOPE, audience: s.apiAudience, ...params })
  const { email, password } = s.users[0]!
  const result = await browserLogin(url, { email, password, ...(jar !== undefined && { jar }) })
  const { code } = validateCallback(result.callback, transaction)
  return { config, transaction, url, code, jar: result.jar }
}

/** A DPoP proof made in the test (RFC 9449 §4.2). */
export async function proof(
  keys: CryptoKeyPair,
  p: { htm: string; htu: string; accessToken?: string; iat?: number; jti?: string; nonce?: string },
): Promise<string> {
  const jwk = await exportJWK(keys.publicKey)
  const payload: Record<string, unknown> = { htm: p.htm, htu: p.htu, iat: p.iat ?? Math.floor(Date.now() / 1000), jti: p.jti ?? crypto.randomUUID() }
  if (p.accessToken !== undefined) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(p.accessToken))
    payload.ath = Buffer.from(digest).toString('base64url')
  }
  if (p.nonce !== undefined) payload.nonce = p.nonce
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(keys.privateKey)
}

/** An API on 127.0.0.1 that checks DPoP-bound tokens with authcode/api's verifier; optionally demands a DPoP nonce first. */
export async function startApi(verify: AccessTokenVerifier, p: { nonce?: string } = {}) {
  let url = ''
  const api = await startLocalServer(async (req) => {
    const proofHeader = typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined
    if (p.nonce !== undefined && (proofHeader === undefined || decodeJwt(proofHeader).nonce !== p.nonce)) {
      return { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': p.nonce } }
    }
    try {
      const claims = await verify(req.headers.authorization, { dpop: { proof: proofHeader, method: req.method, url: `${url}${req.url}` } })
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: claims.sub, body: req.body }) }
    } catch (err) {
      if (err instanceof InvalidTokenError) return { status: 401, headers: { 'www-authenticate': err.wwwAuthenticate }, body: err.message }
      throw err
    }
  })
  url = api.url
  return api
}
