// The security features of issue 7 §3 against a real authorization server (scripts/auth-server.mjs, oidc-provider
// shaped like Auth0): private_key_jwt, PAR, DPoP (with and without server nonces) and back-channel logout.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  SignJWT,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  OAuthError,
  TokenClient,
  TokenManager,
  buildLogoutUrl,
  createAuthorizationRequest,
  generateDpopKeyPair,
  validateCallback,
  type AuthorizationTransaction,
  type ClientConfig,
  type CreateAuthorizationRequestParams,
} from 'authcode'
import { InvalidTokenError, LogoutTokenError, createAccessTokenVerifier, dpopProofs, verifyLogoutToken, type AccessTokenVerifier } from 'authcode/api'
import {
  type AuthServer,
  type AuthServerClient,
  type AuthServerOptions,
  CookieJar,
  browserLogin,
  locationOf,
  parseForm,
  send,
  startAuthServer,
} from './helpers/auth-server.js'

const REDIRECT_URI = 'http://localhost:3000/callback'
const SCOPE = 'openid profile email offline_access'
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

// --- the server's additive options (scripts/auth-server.mjs) ---------------------------------------

interface PrivateKeyJwtClient {
  clientId: string
  clientAuth: 'private_key_jwt'
}

interface SecurityServerOptions extends AuthServerOptions {
  /** Registers `authcode-pkjwt-app` (private_key_jwt) with these public keys. */
  privateKeyJwtClientJwks?: { keys: JWK[] }
  /** backchannel_logout_uri of the confidential and private_key_jwt applications. */
  backchannelLogoutUri?: string
  /** Require DPoP nonces on every DPoP request. */
  dpopNonces?: boolean
}

interface SecurityServer extends AuthServer {
  clients: AuthServer['clients'] & { privateKeyJwt?: PrivateKeyJwtClient }
}

function startSecurityServer(options: SecurityServerOptions): Promise<SecurityServer> {
  return startAuthServer(options) as Promise<SecurityServer>
}

// --- a small local HTTP server (an API, a back-channel logout endpoint) ---------------------------

interface LocalRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

interface LocalServer {
  url: string
  requests: LocalRequest[]
  close(): Promise<void>
}

async function startLocalServer(
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

/** What a failing promise rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the promise to reject')
}

/** A fetch that records what went to the authorization server. */
function recordingFetch(log: { url: URL; method: string; headers: Headers; form: URLSearchParams }[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const text = request.method === 'GET' ? '' : await request.clone().text()
    log.push({ url: new URL(request.url), method: request.method, headers: new Headers(request.headers), form: new URLSearchParams(text) })
    return fetch(request)
  }
}

// --- fixtures ----------------------------------------------------------------------------------------

let server: SecurityServer
let nonceServer: SecurityServer
let backchannel: LocalServer
let rsaKey: { privateKey: CryptoKey; publicJwk: JWK }
let ecKey: { privateKey: CryptoKey; publicJwk: JWK }

beforeAll(async () => {
  const rsa = await generateKeyPair('RS256')
  const ec = await generateKeyPair('ES256')
  rsaKey = { privateKey: rsa.privateKey, publicJwk: { ...(await exportJWK(rsa.publicKey)), alg: 'RS256', use: 'sig', kid: 'pkjwt-rs256' } }
  ecKey = { privateKey: ec.privateKey, publicJwk: { ...(await exportJWK(ec.publicKey)), alg: 'ES256', use: 'sig', kid: 'pkjwt-es256' } }
  backchannel = await startLocalServer(async () => ({ status: 200 }))
  server = await startSecurityServer({
    privateKeyJwtClientJwks: { keys: [rsaKey.publicJwk, ecKey.publicJwk] },
    backchannelLogoutUri: `${backchannel.url}/backchannel-logout`,
  })
  nonceServer = await startSecurityServer({ dpopNonces: true })
})

afterAll(async () => {
  await server?.close()
  await nonceServer?.close()
  await backchannel?.close()
})

const user = () => server.users[0]!
const pkjwt = (): PrivateKeyJwtClient => server.clients.privateKeyJwt!

function configFor(s: AuthServer, client: AuthServerClient | PrivateKeyJwtClient, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { issuer: s.issuer, allowInsecureRequests: true, ...client, ...extra }
}

interface Login {
  config: ClientConfig
  transaction: AuthorizationTransaction
  url: URL
  code: string
  jar: CookieJar
}

async function login(s: AuthServer, config: ClientConfig, params: Partial<CreateAuthorizationRequestParams> = {}, jar?: CookieJar): Promise<Login> {
  const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, scope: SCOPE, audience: s.apiAudience, ...params })
  const { email, password } = s.users[0]!
  const result = await browserLogin(url, { email, password, ...(jar !== undefined && { jar }) })
  const { code } = validateCallback(result.callback, transaction)
  return { config, transaction, url, code, jar: result.jar }
}

// --- private_key_jwt --------------------------------------------------------------------------------

describe('private_key_jwt against oidc-provider', () => {
  it('the server registered the private_key_jwt application with our public keys only', () => {
    expect(pkjwt()).toEqual({ clientId: 'authcode-pkjwt-app', clientAuth: 'private_key_jwt' })
    expect(rsaKey.publicJwk).not.toHaveProperty('d')
  })

  it('a full code exchange and refresh with a CryptoKey: client_assertion, no secret, tokens the API accepts', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, pkjwt(), { privateKey: rsaKey.privateKey, fetch: recordingFetch(sent) })
    const { code, transaction } = await login(server, config)
    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(tokens.claims).toMatchObject({ iss: server.issuer, aud: pkjwt().clientId, sub: user().sub, nonce: transaction.nonce })
    expect(tokens.refreshToken).toBeTypeOf('string')

    const tokenRequest = sent.find((r) => r.url.pathname === '/oauth/token')!
    expect(tokenRequest.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(tokenRequest.form.has('client_secret')).toBe(false)
    expect(tokenRequest.headers.has('authorization')).toBe(false)
    const assertion = tokenRequest.form.get('client_assertion')!
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256' })
    expect(decodeJwt(assertion)).toMatchObject({ iss: pkjwt().clientId, sub: pkjwt().clientId, aud: server.issuer })

    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    await expect(verify(tokens.accessToken)).resolves.toMatchObject({ sub: user().sub, azp: pkjwt().clientId })

    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    const refreshRequest = sent.filter((r) => r.url.pathname === '/oauth/token')[1]!
    expect(refreshRequest.form.get('grant_type')).toBe('refresh_token')
    // A fresh assertion each time (oidc-provider refuses a reused jti).
    expect(decodeJwt(refreshRequest.form.get('client_assertion')!).jti).not.toBe(decodeJwt(assertion).jti)
  })

  it('a key given as { key, kid }: the assertion names the kid, and the exchange succeeds', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, pkjwt(), { privateKey: { key: ecKey.privateKey, kid: 'pkjwt-es256' }, fetch: recordingFetch(sent) })
    const { code, transaction } = await login(server, config)
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.claims?.sub).toBe(user().sub)
    const assertion = sent.find((r) => r.url.pathname === '/oauth/token')!.form.get('client_assertion')!
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'ES256', kid: 'pkjwt-es256' })
  })

  it('client credentials with private_key_jwt', async () => {
    const client = new TokenClient(configFor(server, pkjwt(), { privateKey: rsaKey.privateKey, audience: server.apiAudience }))
    const m2m = await client.clientCredentials()
    expect(decodeJwt(m2m.accessToken)).toMatchObject({ sub: `${pkjwt().clientId}@clients`, aud: server.apiAudience })
  })

  it('a key the application did not register is invalid_client', async () => {
    const stranger = await generateKeyPair('RS256')
    const config = configFor(server, pkjwt(), { privateKey: rsaKey.privateKey })
    const { code, transaction } = await login(server, config)
    const err = await rejectionOf(new TokenClient(configFor(server, pkjwt(), { privateKey: stranger.privateKey })).exchangeCode({ code, ...transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 })
  })

  it('a forged assertion (another kid, the registered kid with a foreign key) is invalid_client', async () => {
    const stranger = await generateKeyPair('ES256')
    const client = new TokenClient(configFor(server, pkjwt(), { privateKey: { key: stranger.privateKey, kid: 'pkjwt-es256' }, audience: server.apiAudience }))
    const err = await rejectionOf(client.clientCredentials())
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_client' })
  })
})

// --- PAR ------------------------------------------------------------------------------------------------

describe('Pushed Authorization Requests against oidc-provider', () => {
  it('par: true pushes to /oauth/par; the short URL logs in and the code exchanges (confidential client)', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, server.clients.confidential, { fetch: recordingFetch(sent) })
    const { url, transaction, code } = await login(server, config, { par: true, organization: 'org_acme' })
    expect(url.origin + url.pathname).toBe(`${server.url}/authorize`)
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(url.searchParams.get('client_id')).toBe(server.clients.confidential.clientId)
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    const par = sent.find((r) => r.url.pathname === '/oauth/par')!
    expect(par.method).toBe('POST')
    expect(par.form.get('client_secret')).toBe(server.clients.confidential.clientSecret)
    expect(par.form.get('state')).toBe(transaction.state)

    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    // Everything pushed took effect: nonce, organization, audience (resource), offline_access.
    expect(tokens.claims).toMatchObject({ sub: user().sub, nonce: transaction.nonce, org_id: 'org_acme' })
    expect(decodeJwt(tokens.accessToken).aud).toContain(server.apiAudience)
    expect(tokens.refreshToken).toBeTypeOf('string')
  })

  it('par: true with the private_key_jwt application (the PAR request is authenticated by assertion)', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, pkjwt(), { privateKey: rsaKey.privateKey, fetch: recordingFetch(sent) })
    const { code, transaction } = await login(server, config, { par: true })
    const par = sent.find((r) => r.url.pathname === '/oauth/par')!
    expect(par.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(par.form.has('client_secret')).toBe(false)
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.claims?.aud).toBe(pkjwt().clientId)
  })

  it('par: true with a public client (PKCE only)', async () => {
    const config = configFor(server, server.clients.public)
    const { code, transaction, url } = await login(server, config, { par: true })
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.claims?.sub).toBe(user().sub)
  })

  it('a request the server refuses at PAR time is an OAuthError (unregistered redirect_uri, wrong secret)', async () => {
    const config = configFor(server, server.clients.confidential)
    const badRedirect = await rejectionOf(createAuthorizationRequest(config, { redirectUri: 'https://evil.example/callback', par: true }))
    expect(badRedirect).toBeInstanceOf(OAuthError)
    expect(badRedirect).toMatchObject({ status: 400 })
    expect((badRedirect as OAuthError).error).toMatch(/invalid_redirect_uri|invalid_request/)

    const wrongSecret = await rejectionOf(
      createAuthorizationRequest(configFor(server, server.clients.confidential, { clientSecret: 'not-the-secret-0123456789' }), { redirectUri: REDIRECT_URI, par: true }),
    )
    expect(wrongSecret).toBeInstanceOf(OAuthError)
    expect(wrongSecret).toMatchObject({ error: 'invalid_client', status: 401 })
  })

  it('a request_uri works once', async () => {
    const config = configFor(server, server.clients.confidential)
    const { url, jar } = await login(server, config, { par: true })
    const again = await send(jar, url)
    // oidc-provider shows an error page (or redirects with an error) for a consumed request_uri.
    if (again.status >= 300 && again.status < 400) {
      expect(locationOf(again, url).searchParams.get('error')).toBeTruthy()
    } else {
      expect(again.status).toBe(400)
    }
  })
})

// --- DPoP ------------------------------------------------------------------------------------------------

/** A DPoP proof made in the test (RFC 9449 §4.2). */
async function proof(
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
async function startApi(verify: AccessTokenVerifier, p: { nonce?: string } = {}) {
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

describe('DPoP against oidc-provider', () => {
  let dpop: CryptoKeyPair
  let jkt: string
  let config: ClientConfig
  let client: TokenClient
  let tokens: Awaited<ReturnType<TokenClient['exchangeCode']>>
  let authorizeUrl: URL
  const sent: Parameters<typeof recordingFetch>[0] = []
  let verify: AccessTokenVerifier

  beforeAll(async () => {
    dpop = await generateDpopKeyPair()
    jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey))
    config = configFor(server, server.clients.confidential, { dpop, fetch: recordingFetch(sent) })
    client = new TokenClient(config)
    const l = await login(server, config)
    authorizeUrl = l.url
    tokens = await client.exchangeCode({ code: l.code, ...l.transaction })
    verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true, dpop: dpopProofs() })
  })

  it('the authorization URL carries dpop_jkt; the exchange sends a proof and gets a DPoP-bound JWT (cnf.jkt)', () => {
    expect(authorizeUrl.searchParams.get('dpop_jkt')).toBe(jkt)
    const exchange = sent.find((r) => r.url.pathname === '/oauth/token')!
    const p = exchange.headers.get('dpop')!
    expect(decodeProtectedHeader(p)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
    expect(decodeJwt(p)).toMatchObject({ htm: 'POST', htu: `${server.url}/oauth/token` })
    expect(tokens.tokenType).toBe('DPoP')
    expect(decodeProtectedHeader(tokens.accessToken).typ).toBe('at+jwt')
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ cnf: { jkt }, aud: expect.arrayContaining([server.apiAudience]) })
  })

  it('a refresh gives another DPoP-bound token, with a proof', async () => {
    const before = sent.length
    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.tokenType).toBe('DPoP')
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ cnf: { jkt } })
    const refresh = sent.slice(before).find((r) => r.form.get('grant_type') === 'refresh_token')!
    expect(decodeJwt(refresh.headers.get('dpop')!)).toMatchObject({ htm: 'POST', htu: `${server.url}/oauth/token` })
    tokens = fresh
  })

  it('a code bound with dpop_jkt cannot be redeemed with another DPoP key', async () => {
    const l = await login(server, config)
    const thief = new TokenClient(configFor(server, server.clients.confidential, { dpop: await generateDpopKeyPair() }))
    const err = await rejectionOf(thief.exchangeCode({ code: l.code, ...l.transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect((err as OAuthError).error).toMatch(/invalid_grant|invalid_dpop_proof/)
  })

  it("a public client's refresh token is bound to its DPoP key: refused with another key or without DPoP", async () => {
    const publicConfig = configFor(server, server.clients.public, { dpop })
    const l = await login(server, publicConfig)
    const publicTokens = await new TokenClient(publicConfig).exchangeCode({ code: l.code, ...l.transaction })
    expect(publicTokens.tokenType).toBe('DPoP')
    const otherKey = await rejectionOf(new TokenClient(configFor(server, server.clients.public, { dpop: await generateDpopKeyPair() })).refresh({ refreshToken: publicTokens.refreshToken! }))
    expect(otherKey).toBeInstanceOf(OAuthError)
    expect(otherKey).toMatchObject({ error: 'invalid_grant' })
    const noDpop = await rejectionOf(new TokenClient(configFor(server, server.clients.public)).refresh({ refreshToken: publicTokens.refreshToken! }))
    expect(noDpop).toBeInstanceOf(OAuthError)
    // The rightful holder still can (the failed attempts did not rotate it away).
    const fresh = await new TokenClient(publicConfig).refresh({ refreshToken: publicTokens.refreshToken! })
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ cnf: { jkt } })
  })

  it('the verifier accepts the token with the DPoP scheme and a valid proof', async () => {
    const url = 'https://api.authcode.example/contacts'
    const claims = await verify(`DPoP ${tokens.accessToken}`, {
      dpop: { proof: await proof(dpop, { htm: 'GET', htu: url, accessToken: tokens.accessToken }), method: 'GET', url },
    })
    expect(claims).toMatchObject({ sub: user().sub, cnf: { jkt } })
  })

  it('the verifier refuses it as Bearer, or without a proof', async () => {
    const url = 'https://api.authcode.example/contacts'
    const valid = await proof(dpop, { htm: 'GET', htu: url, accessToken: tokens.accessToken })
    const asBearer = await rejectionOf(verify(`Bearer ${tokens.accessToken}`, { dpop: { proof: valid, method: 'GET', url } }))
    expect(asBearer).toBeInstanceOf(InvalidTokenError)
    expect((asBearer as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_token"/)
    const raw = await rejectionOf(verify(tokens.accessToken))
    expect(raw).toBeInstanceOf(InvalidTokenError)
    const noProof = await rejectionOf(verify(`DPoP ${tokens.accessToken}`, { dpop: { proof: undefined, method: 'GET', url } }))
    expect((noProof as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it.each([
    ['another URL', { htu: 'https://api.authcode.example/other' }],
    ['another method', { htm: 'POST' }],
    ['another access token (ath)', { accessToken: 'another-access-token' }],
    ['an old iat', { iat: Math.floor(Date.now() / 1000) - 3600 }],
  ])('the verifier refuses a proof for %s', async (_what, change) => {
    const url = 'https://api.authcode.example/contacts'
    const p = await proof(dpop, { htm: 'GET', htu: url, accessToken: tokens.accessToken, ...change })
    const err = await rejectionOf(verify(`DPoP ${tokens.accessToken}`, { dpop: { proof: p, method: 'GET', url } }))
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect((err as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it('the verifier refuses a proof made with another key', async () => {
    const url = 'https://api.authcode.example/contacts'
    const other = await generateDpopKeyPair()
    const p = await proof(other, { htm: 'GET', htu: url, accessToken: tokens.accessToken })
    const err = await rejectionOf(verify(`DPoP ${tokens.accessToken}`, { dpop: { proof: p, method: 'GET', url } }))
    expect((err as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
    expect((err as Error).message).toMatch(/cnf\.jkt/)
  })

  it('TokenManager.fetch calls a local API with DPoP; the API verifies, and refuses a replay of the same proof', async () => {
    const api = await startApi(verify)
    try {
      const manager = new TokenManager({ client })
      await manager.save('jane', tokens)
      const res = await manager.fetch('jane', `${api.url}/contacts?page=2`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ sub: user().sub, body: '' })
      const first = api.requests[0]!
      expect(first.headers.authorization).toBe(`DPoP ${tokens.accessToken}`)
      const sentProof = first.headers.dpop as string
      expect(decodeJwt(sentProof)).toMatchObject({ htm: 'GET', htu: `${api.url}/contacts` })

      // The same proof again (a replay by whoever saw the request): refused.
      const replay = await fetch(`${api.url}/contacts?page=2`, { headers: { authorization: `DPoP ${tokens.accessToken}`, dpop: sentProof } })
      expect(replay.status).toBe(401)
      expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)
      expect(await replay.text()).toMatch(/replay/)

      // A POST with a body: a proof for POST, and the body arrives.
      const posted = await manager.fetch('jane', `${api.url}/contacts`, { method: 'POST', body: '{"name":"Ann"}', headers: { 'content-type': 'application/json' } })
      expect(posted.status).toBe(200)
      expect(await posted.json()).toEqual({ sub: user().sub, body: '{"name":"Ann"}' })
      expect(decodeJwt(api.requests.at(-1)!.headers.dpop as string)).toMatchObject({ htm: 'POST' })
    } finally {
      await api.close()
    }
  })

  it('an API that demands a DPoP nonce gets one retry with it', async () => {
    const api = await startApi(verify, { nonce: 'api-nonce-1' })
    try {
      const manager = new TokenManager({ client })
      await manager.save('jane', tokens)
      const res = await manager.fetch('jane', `${api.url}/contacts`)
      expect(res.status).toBe(200)
      expect(api.requests).toHaveLength(2)
      expect(decodeJwt(api.requests[0]!.headers.dpop as string).nonce).toBeUndefined()
      expect(decodeJwt(api.requests[1]!.headers.dpop as string).nonce).toBe('api-nonce-1')
    } finally {
      await api.close()
    }
  })
})

describe('DPoP against a server that requires nonces (use_dpop_nonce)', () => {
  it('PAR, exchange and refresh each succeed after one nonce retry; the nonce is reused afterwards', async () => {
    const dpop = await generateDpopKeyPair()
    const jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey))
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(nonceServer, nonceServer.clients.confidential, { dpop, fetch: recordingFetch(sent) })
    const l = await login(nonceServer, config, { par: true })
    const pars = sent.filter((r) => r.url.pathname === '/oauth/par')
    expect(pars).toHaveLength(2)
    expect(decodeJwt(pars[0]!.headers.get('dpop')!).nonce).toBeUndefined()
    expect(decodeJwt(pars[1]!.headers.get('dpop')!).nonce).toBeTypeOf('string')

    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code: l.code, ...l.transaction })
    expect(tokens.tokenType).toBe('DPoP')
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ cnf: { jkt } })
    const exchanges = sent.filter((r) => r.form.get('grant_type') === 'authorization_code')
    expect(exchanges.length).toBeGreaterThanOrEqual(1)
    expect(exchanges.length).toBeLessThanOrEqual(2)
    for (const e of exchanges) expect(decodeJwt(e.headers.get('dpop')!).htu).toBe(`${nonceServer.url}/oauth/token`)

    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ cnf: { jkt } })
    const refreshes = sent.filter((r) => r.form.get('grant_type') === 'refresh_token')
    expect(refreshes.length).toBeLessThanOrEqual(2)
    expect(decodeJwt(refreshes.at(-1)!.headers.get('dpop')!).nonce).toBeTypeOf('string')
  })

  it('the token endpoint itself: a first request with no nonce is answered use_dpop_nonce, the retry succeeds', async () => {
    const dpop = await generateDpopKeyPair()
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(nonceServer, nonceServer.clients.confidential, { dpop, fetch: recordingFetch(sent), audience: nonceServer.apiAudience })
    const m2m = await new TokenClient(config).clientCredentials()
    expect(m2m.tokenType).toBe('DPoP')
    const tokenRequests = sent.filter((r) => r.url.pathname === '/oauth/token')
    expect(tokenRequests).toHaveLength(2)
    expect(decodeJwt(tokenRequests[0]!.headers.get('dpop')!).nonce).toBeUndefined()
    expect(decodeJwt(tokenRequests[1]!.headers.get('dpop')!).nonce).toBeTypeOf('string')
  })
})

// --- back-channel logout --------------------------------------------------------------------------

describe('back-channel logout against oidc-provider', () => {
  it('ending the session POSTs a logout token that verifyLogoutToken accepts (sid and sub of the login)', async () => {
    const config = configFor(server, server.clients.confidential)
    const l = await login(server, config)
    const tokens = await new TokenClient(config).exchangeCode({ code: l.code, ...l.transaction })
    const sid = tokens.claims?.sid
    expect(sid).toBeTypeOf('string')

    const before = backchannel.requests.length
    const logoutUrl = buildLogoutUrl({
      endSessionEndpoint: `${server.url}/oidc/logout`,
      clientId: server.clients.confidential.clientId,
      idTokenHint: tokens.idToken!,
      returnTo: 'http://localhost:3000/',
    })
    const page = await send(l.jar, logoutUrl)
    const { action, fields } = parseForm(await page.text(), logoutUrl)
    const done = await send(l.jar, action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() })
    expect(locationOf(done, action).href).toBe('http://localhost:3000/')

    const deadline = Date.now() + 5_000
    while (backchannel.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const received = backchannel.requests.slice(before).find((r) => r.url === '/backchannel-logout')
    expect(received?.method).toBe('POST')
    const logoutToken = new URLSearchParams(received!.body).get('logout_token')!
    expect(decodeProtectedHeader(logoutToken).typ).toBe('logout+jwt')

    const seen = new Set<string>()
    const options = {
      issuer: server.issuer,
      clientId: server.clients.confidential.clientId,
      allowInsecureRequests: true,
      seen: (jti: string) => (seen.has(jti) ? true : (seen.add(jti), false)),
    }
    const claims = await verifyLogoutToken(logoutToken, options)
    expect(claims).toMatchObject({ iss: server.issuer, aud: server.clients.confidential.clientId, sub: user().sub, sid })
    expect(claims.events[BACKCHANNEL_EVENT]).toEqual({})
    // The same token again (a replay): refused.
    await expect(verifyLogoutToken(logoutToken, options)).rejects.toBeInstanceOf(LogoutTokenError)
    // Another application's ID is not its audience.
    const { seen: _seen, ...withoutSeen } = options
    await expect(verifyLogoutToken(logoutToken, { ...withoutSeen, clientId: server.clients.basic.clientId })).rejects.toBeInstanceOf(LogoutTokenError)
  })
})
