// Error behaviour of authcode: typed errors with the server's words and a hint, bounded retries,
// timeouts, network failures, the caller's abort, config validation, and no secret in any error.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { gzipSync } from 'node:zlib'
import { delay } from 'msw'
import { describe, expect, it } from 'vitest'
import * as authcode from 'authcode'
import {
  AbortError,
  AuthcodeError,
  AuthorizationError,
  CallbackError,
  ConfigError,
  IdTokenError,
  InsufficientScopeError,
  InvalidTokenError,
  LockTimeoutError,
  LoginRequiredError,
  LogoutTokenError,
  NetworkError,
  OAuthError,
  ResponseError,
  SealError,
  StateMismatchError,
  TimeoutError,
  TokenClient,
  TokenManager,
  openTransaction,
  sealTransaction,
  validateCallback,
  type ClientConfig,
} from 'authcode'
import { extractBearerToken, requireScopes, verifyLogoutToken } from 'authcode/api'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, ISSUER, REDIRECT_URI, http, onToken, server, testTenant, useMockServer } from './helpers/auth0.js'

// The runtime's own fetch, taken before msw's beforeAll replaces globalThis.fetch, for the
// tests that need a real TCP connection attempt.
const realFetch: typeof fetch = globalThis.fetch

const log = useMockServer()

const TOKEN_URL = `https://${DOMAIN}/oauth/token`
const USERINFO_URL = `https://${DOMAIN}/userinfo`
const REVOKE_URL = `https://${DOMAIN}/oauth/revoke`

// Values that must never show up in an error.
const CODE = 'code-SplxlOBeZQQYbYS6WxSbIA-4f7d'
const VERIFIER = 'verifier-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const ACCESS_TOKEN = 'access-token-eyJhbGciOiJSUzI1NiJ9-AT-9c1e77'
const REFRESH_TOKEN = 'refresh-token-v1.MRjbz8Uw-RT-5512ab'
/** Every ID token a test handed to the SDK; checked as a whole and segment by segment. */
const issuedIdTokens: string[] = []

function forbiddenValues(): Array<[label: string, value: string]> {
  const out: Array<[string, string]> = [
    ['client secret', CLIENT_SECRET],
    ['code', CODE],
    ['code verifier', VERIFIER],
    ['access token', ACCESS_TOKEN],
    ['refresh token', REFRESH_TOKEN],
  ]
  for (const idToken of issuedIdTokens) {
    out.push(['id token', idToken])
    for (const segment of idToken.split('.')) if (segment.length >= 16) out.push(['id token segment', segment])
  }
  return out
}

const exchangeParams = { code: CODE, redirectUri: REDIRECT_URI, codeVerifier: VERIFIER }

function client(extra: Partial<ClientConfig> = {}): TokenClient {
  return new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 0, ...extra })
}

/** The value a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to fail, but it succeeded')
}

/** The value a function throws; fails the test when it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw, but it returned')
}

/** Asserts the class and narrows to it. */
function expectError<T>(err: unknown, Class: abstract new (...args: never[]) => T): T {
  expect(err).toBeInstanceOf(Class)
  return err as T
}

/** A local TCP port that nothing listens on: opened, noted, closed. */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as AddressInfo
  await new Promise<void>((resolve, reject) => srv.close((err) => (err ? reject(err) : resolve())))
  return port
}

/** A real HTTP server on 127.0.0.1 (reached through `realFetch`, not msw). */
async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const srv = createServer(handler)
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections()
        srv.close(() => resolve())
      }),
  }
}

function discoveryAnswer(base: string, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ issuer: `${base}/`, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/oauth/token` }))
}

/** A response whose body sends `first` and then never ends (a fetch mock does not cut it on abort). */
function stalledResponse(status: number, first: string, headers: Record<string, string> = {}) {
  return new HttpResponse(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(first))
      },
    }),
    { status, headers: { 'content-type': 'application/json', ...headers } },
  )
}

function oauthJson(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return HttpResponse.json(body, { status, headers })
}

describe('OAuth error answers from the token endpoint', () => {
  it('turns 400 invalid_grant into an OAuthError with the description and a hint that the code was used or expired', async () => {
    onToken(() => oauthJson(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' }))
    const err = expectError(await rejection(client({ retries: 2 }).exchangeCode(exchangeParams)), OAuthError)
    expect(err.error).toBe('invalid_grant')
    expect(err.errorDescription).toBe('Invalid authorization code')
    expect(err.status).toBe(400)
    expect(err.code).toBe('ERR_OAUTH')
    expect(err.name).toBe('OAuthError')
    expect(err.message).toContain('Invalid authorization code')
    expect(err.message).toMatch(/expired or was already used/)
    expect(err.retryAfter).toBeUndefined()
  })

  it('never sends a code twice: a refused code exchange is not retried', async () => {
    onToken(() => oauthJson(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' }))
    await rejection(client({ retries: 2, maxRetryDelayMs: 0 }).exchangeCode(exchangeParams))
    expect(log).toHaveLength(1)
  })

  it('explains 401 invalid_client by pointing at the client secret and the token endpoint auth method, without the secret', async () => {
    onToken(() => oauthJson(401, { error: 'invalid_client' }))
    const err = expectError(await rejection(client().exchangeCode(exchangeParams)), OAuthError)
    expect(err.error).toBe('invalid_client')
    expect(err.status).toBe(401)
    expect(err.errorDescription).toBeUndefined()
    expect(err.message).toMatch(/client secret/i)
    expect(err.message).toMatch(/token endpoint auth/i)
    expect(err.message).toContain('clientAuth')
    expect(err.message).not.toContain(CLIENT_SECRET)
  })

  it('explains 403 unauthorized_client by saying which grant type to enable', async () => {
    onToken(() => oauthJson(403, { error: 'unauthorized_client', error_description: 'Grant type not allowed' }))
    const err = expectError(await rejection(client().exchangeCode(exchangeParams)), OAuthError)
    expect(err.error).toBe('unauthorized_client')
    expect(err.status).toBe(403)
    expect(err.message).toContain('Grant type not allowed')
    expect(err.message).toMatch(/Enable this grant type/)
    expect(err.message).toMatch(/Grant Types/)
  })

  it('tells a refresh refused with invalid_grant that the user must log in again', async () => {
    onToken(() => oauthJson(403, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }))
    const err = expectError(await rejection(client().refresh({ refreshToken: REFRESH_TOKEN })), OAuthError)
    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(403)
    expect(err.message).toMatch(/log in again/)
  })

  it('reads a 401 WWW-Authenticate challenge from userinfo as an OAuthError', async () => {
    server.use(
      http.get(USERINFO_URL, () =>
        new HttpResponse(null, {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' },
        }),
      ),
    )
    const err = expectError(await rejection(client().userinfo(ACCESS_TOKEN)), OAuthError)
    expect(err.error).toBe('invalid_token')
    expect(err.errorDescription).toBe('The access token expired')
    expect(err.status).toBe(401)
  })
})

describe('429 and 503: bounded retries that honour Retry-After', () => {
  const retrying = { retries: 1, maxRetryDelayMs: 50 }

  it('retries a 429 once after Retry-After: 0, then throws an OAuthError with status 429 and retryAfter', async () => {
    let calls = 0
    onToken(() => {
      calls++
      return oauthJson(429, { error: 'too_many_requests', error_description: 'Rate limit exceeded' }, { 'retry-after': '0' })
    })
    const err = expectError(await rejection(client(retrying).exchangeCode(exchangeParams)), OAuthError)
    expect(calls).toBe(2)
    expect(err.status).toBe(429)
    expect(err.error).toBe('too_many_requests')
    expect(err.retryAfter).toBe(0)
  })

  it('retries a 503 once after Retry-After: 0, then throws a ResponseError with status 503 and retryAfter', async () => {
    let calls = 0
    onToken(() => {
      calls++
      return new HttpResponse('<html><body>Service Unavailable</body></html>', {
        status: 503,
        headers: { 'content-type': 'text/html', 'retry-after': '0' },
      })
    })
    const err = expectError(await rejection(client(retrying).exchangeCode(exchangeParams)), ResponseError)
    expect(calls).toBe(2)
    expect(err.status).toBe(503)
    expect(err.code).toBe('ERR_RESPONSE')
    expect(err.retryAfter).toBe(0)
  })

  it('returns the tokens when the retry after a 429 succeeds', async () => {
    let calls = 0
    onToken(() => {
      calls++
      if (calls === 1) return oauthJson(429, { error: 'too_many_requests' }, { 'retry-after': '0' })
      return HttpResponse.json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 60 })
    })
    const tokens = await client(retrying).exchangeCode(exchangeParams)
    expect(calls).toBe(2)
    expect(tokens.accessToken).toBe(ACCESS_TOKEN)
  })

  it('does not wait for a 429 Retry-After longer than maxRetryDelayMs: one request, and the wait is reported', async () => {
    onToken(() => oauthJson(429, { error: 'too_many_requests' }, { 'retry-after': '1' }))
    const err = expectError(await rejection(client(retrying).exchangeCode(exchangeParams)), OAuthError)
    expect(log).toHaveLength(1)
    expect(err.status).toBe(429)
    expect(err.retryAfter).toBe(1)
  })

  it('does not wait for a 503 Retry-After longer than maxRetryDelayMs: one request, and the wait is reported', async () => {
    onToken(() => new HttpResponse('busy', { status: 503, headers: { 'content-type': 'text/plain', 'retry-after': '120' } }))
    const err = expectError(await rejection(client(retrying).refresh({ refreshToken: REFRESH_TOKEN })), ResponseError)
    expect(log).toHaveLength(1)
    expect(err.status).toBe(503)
    expect(err.retryAfter).toBe(120)
  })

  it('makes no more than 1 + retries requests', async () => {
    onToken(() => oauthJson(429, { error: 'too_many_requests' }, { 'retry-after': '0' }))
    await rejection(client({ retries: 3, maxRetryDelayMs: 50 }).exchangeCode(exchangeParams))
    expect(log).toHaveLength(4)
  })
})

describe('answers that are not a valid token response', () => {
  it('turns a 502 with an HTML body into a ResponseError with status 502, not retried', async () => {
    onToken(() => new HttpResponse('<html><h1>502 Bad Gateway</h1></html>', { status: 502, headers: { 'content-type': 'text/html' } }))
    const err = expectError(await rejection(client({ retries: 2, maxRetryDelayMs: 0 }).exchangeCode(exchangeParams)), ResponseError)
    expect(err).not.toBeInstanceOf(OAuthError)
    expect(err.status).toBe(502)
    expect(err.code).toBe('ERR_RESPONSE')
    expect(err.message).toContain('502')
    expect(log).toHaveLength(1)
  })

  it('turns a 200 whose body is not JSON into a ResponseError', async () => {
    onToken(() => new HttpResponse(`access_token=${ACCESS_TOKEN}&refresh_token=${REFRESH_TOKEN}`, { status: 200, headers: { 'content-type': 'text/plain' } }))
    const err = expectError(await rejection(client().exchangeCode(exchangeParams)), ResponseError)
    expect(err.status).toBe(200)
    expect(err.message).toMatch(/not JSON/)
    expect(err.message).not.toContain(ACCESS_TOKEN)
    expect(err.message).not.toContain(REFRESH_TOKEN)
  })

  it('turns a 200 whose JSON is not an object into a ResponseError', async () => {
    onToken(() => HttpResponse.json([ACCESS_TOKEN]))
    const err = expectError(await rejection(client().exchangeCode(exchangeParams)), ResponseError)
    expect(err.status).toBe(200)
    expect(err.message).not.toContain(ACCESS_TOKEN)
  })

  it.each([
    { shape: 'has no access_token', body: { token_type: 'Bearer', expires_in: 3600, refresh_token: REFRESH_TOKEN } },
    { shape: 'has a numeric token_type', body: { access_token: ACCESS_TOKEN, token_type: 42, refresh_token: REFRESH_TOKEN } },
    { shape: "has expires_in 'abc'", body: { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 'abc', refresh_token: REFRESH_TOKEN } },
    { shape: 'has a numeric access_token', body: { access_token: 12345, token_type: 'Bearer', refresh_token: REFRESH_TOKEN } },
  ])('turns 200 JSON that $shape into a ResponseError (not a TypeError) without the token values', async ({ body }) => {
    onToken(() => HttpResponse.json(body))
    const err = await rejection(client().exchangeCode(exchangeParams))
    expect(err).not.toBeInstanceOf(TypeError)
    const responseError = expectError(err, ResponseError)
    expect(responseError.status).toBe(200)
    expect(responseError.message).toMatch(/wrong shape/)
    expect(responseError.message).not.toContain(ACCESS_TOKEN)
    expect(responseError.message).not.toContain(REFRESH_TOKEN)
    expect(inspect(responseError, { depth: 10 })).not.toContain(REFRESH_TOKEN)
  })
})

describe('timeouts', () => {
  it('throws a TimeoutError naming the endpoint and timeoutMs when the server never answers', async () => {
    onToken(async () => {
      await delay('infinite')
      return HttpResponse.json({})
    })
    const err = expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
    expect(err.code).toBe('ERR_TIMEOUT')
    expect(err.message).toContain(TOKEN_URL)
    expect(err.message).toContain('100')
    expect(err.message).toContain('timeoutMs')
  })

  it('does not retry a code exchange that timed out (the server may have used the code)', async () => {
    onToken(async () => {
      await delay('infinite')
      return HttpResponse.json({})
    })
    await rejection(client({ timeoutMs: 100, retries: 2, maxRetryDelayMs: 0 }).exchangeCode(exchangeParams))
    expect(log).toHaveLength(1)
  })

  it('throws a TimeoutError when a real server sends the headers and then stalls the body', async () => {
    const srv = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') return discoveryAnswer(srv.base, res)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"access_token":"${ACCESS_TOKEN}",`) // and never the rest
    })
    try {
      const stalled = new TokenClient({
        issuer: `${srv.base}/`,
        allowInsecureRequests: true,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        fetch: realFetch,
        timeoutMs: 100,
        retries: 0,
      })
      const err = expectError(await rejection(stalled.exchangeCode(exchangeParams)), TimeoutError)
      expect(err.message).toContain(`${srv.base}/oauth/token`)
      expect(err.message).not.toContain(ACCESS_TOKEN)
    } finally {
      await srv.close()
    }
  })

  // A reply with a declared length is read by oauth4webapi straight from the response, with no
  // copy (src/http.ts policy.holds): the timer must still cover that read.
  it('times out a body with a declared length that stalls, from a real server', async () => {
    const srv = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') return discoveryAnswer(srv.base, res)
      const body = `{"access_token":"${ACCESS_TOKEN}","token_type":"Bearer"}`
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) })
      res.write(body.slice(0, 20)) // and never the rest
    })
    try {
      const stalled = new TokenClient({ issuer: `${srv.base}/`, allowInsecureRequests: true, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: realFetch, timeoutMs: 100, retries: 0 })
      const started = Date.now()
      const err = expectError(await rejection(stalled.exchangeCode(exchangeParams)), TimeoutError)
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(err.message).toContain(`${srv.base}/oauth/token`)
    } finally {
      await srv.close()
    }
  })

  it('times out a body with a declared length when the injected fetch ignores the abort', async () => {
    onToken(() => stalledResponse(200, '{"access_token":', { 'content-length': '64' }))
    expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
    expectError(await rejection(client({ timeoutMs: 100 }).refresh({ refreshToken: REFRESH_TOKEN })), TimeoutError)
  })

  it('counts an encoded body as it inflates: a small gzip declared length cannot smuggle in more than 1 MiB', async () => {
    // 2 MiB of JSON whitespace before a valid token response, gzipped to a few KB.
    const inflated = `${' '.repeat(2 * 1024 * 1024)}{"access_token":"${ACCESS_TOKEN}","token_type":"Bearer","expires_in":60}`
    const gz = gzipSync(inflated)
    const srv = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') return discoveryAnswer(srv.base, res)
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gz.length) })
      res.end(gz)
    })
    try {
      const bomb = new TokenClient({ issuer: `${srv.base}/`, allowInsecureRequests: true, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: realFetch, retries: 0 })
      expect(gz.length).toBeLessThan(64 * 1024)
      const err = expectError(await rejection(bomb.exchangeCode(exchangeParams)), ResponseError)
      expect(err.message).toContain('1 MiB')
    } finally {
      await srv.close()
    }
  })

  it('an error body with a declared length that stalls still times out (a 5xx is read for its OAuth error)', async () => {
    onToken(() => stalledResponse(500, '{"error":', { 'content-length': '64' }))
    expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
  })
})

describe('connection failures', () => {
  it('throws a NetworkError (ERR_NETWORK) when the connection is refused', async () => {
    const port = await closedPort()
    const refused = new TokenClient({
      issuer: `http://127.0.0.1:${port}/`,
      allowInsecureRequests: true,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      fetch: realFetch,
      retries: 0,
    })
    const err = expectError(await rejection(refused.exchangeCode(exchangeParams)), NetworkError)
    expect(err.code).toBe('ERR_NETWORK')
    expect(err.name).toBe('NetworkError')
    expect(err.message).toContain(`127.0.0.1:${port}`)
  })

  it('retries a refused connection, which never reached the server, up to `retries` times', async () => {
    const port = await closedPort()
    let attempts = 0
    const counting: typeof fetch = (input, init) => {
      attempts++
      return realFetch(input, init)
    }
    const refused = new TokenClient({
      domain: `127.0.0.1:${port}`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      fetch: counting,
      retries: 2,
      maxRetryDelayMs: 0,
    })
    expectError(await rejection(refused.exchangeCode(exchangeParams)), NetworkError)
    expect(attempts).toBe(3)
  })

  it('does not retry a code exchange whose connection failed after it may have been sent', async () => {
    onToken(() => HttpResponse.error())
    const err = expectError(await rejection(client({ retries: 2, maxRetryDelayMs: 0 }).exchangeCode(exchangeParams)), NetworkError)
    expect(err.code).toBe('ERR_NETWORK')
    expect(log).toHaveLength(1)
  })

  it('retries an idempotent userinfo request after a network error', async () => {
    server.use(http.get(USERINFO_URL, () => HttpResponse.error()))
    expectError(await rejection(client({ retries: 2, maxRetryDelayMs: 0 }).userinfo(ACCESS_TOKEN)), NetworkError)
    expect(log).toHaveLength(3)
  })
})

describe("the caller's AbortSignal", () => {
  it('aborting mid-request throws an AbortError (name AbortError, code ERR_ABORTED) with the reason as cause', async () => {
    const controller = new AbortController()
    let started!: () => void
    const requestStarted = new Promise<void>((resolve) => (started = resolve))
    onToken(async () => {
      started()
      await delay('infinite')
      return HttpResponse.json({})
    })
    const pending = rejection(client().exchangeCode({ ...exchangeParams, signal: controller.signal }))
    await requestStarted
    const reason = new Error('user navigated away')
    controller.abort(reason)
    const err = expectError(await pending, AbortError)
    expect(err.name).toBe('AbortError')
    expect(err.code).toBe('ERR_ABORTED')
    expect(err.cause).toBe(reason)
  })

  it('an already-aborted signal throws an AbortError without making any request', async () => {
    onToken(() => HttpResponse.json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' }))
    const err = expectError(
      await rejection(client().exchangeCode({ ...exchangeParams, signal: AbortSignal.abort() })),
      AbortError,
    )
    expect(err.name).toBe('AbortError')
    expect(err.code).toBe('ERR_ABORTED')
    expect(log).toHaveLength(0)
  })

  it('an already-aborted signal stops a refresh and a userinfo call before any request', async () => {
    const signal = AbortSignal.abort()
    expectError(await rejection(client().refresh({ refreshToken: REFRESH_TOKEN, signal })), AbortError)
    expectError(await rejection(client().userinfo(ACCESS_TOKEN, { signal })), AbortError)
    expect(log).toHaveLength(0)
  })

  it('aborting during the wait before a retry throws an AbortError and sends nothing more', async () => {
    const controller = new AbortController()
    onToken(() => {
      setTimeout(() => controller.abort(), 10)
      return oauthJson(429, { error: 'too_many_requests' }, { 'retry-after': '2' })
    })
    const err = await rejection(
      client({ retries: 1, maxRetryDelayMs: 5_000 }).exchangeCode({ ...exchangeParams, signal: controller.signal }),
    )
    expectError(err, AbortError)
    expect(log).toHaveLength(1)
  })
})

interface SecretCase {
  name: string
  Class: abstract new (...args: never[]) => AuthcodeError
  produce: () => Promise<unknown>
}

/** A token endpoint that answers `status` with an error that quotes everything it was sent. */
function echoingTokenEndpoint(status: number) {
  onToken(async ({ request }) => {
    const form = new URLSearchParams(await request.text())
    const sent = [...form.values(), request.headers.get('authorization') ?? ''].join(' ')
    return oauthJson(status, { error: 'invalid_grant', error_description: `Rejected request with ${sent}` })
  })
}

async function signedIdToken(claims: Record<string, unknown>): Promise<string> {
  const tenant = await testTenant()
  const idToken = await tenant.signIdToken(claims)
  issuedIdTokens.push(idToken)
  return idToken
}

/** A 200 token response with real tokens and the given ID token. */
function tokensWithIdToken(idToken: string) {
  onToken(() =>
    HttpResponse.json({
      access_token: ACCESS_TOKEN,
      refresh_token: REFRESH_TOKEN,
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: 86400,
    }),
  )
}

const secretCases: SecretCase[] = [
  {
    name: 'ConfigError from a bad config holding the secret',
    Class: ConfigError,
    produce: async () => thrown(() => new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, timeoutMs: 0 })),
  },
  {
    name: 'ConfigError from an exchange with a bad redirectUri',
    Class: ConfigError,
    produce: () => rejection(client().exchangeCode({ ...exchangeParams, redirectUri: 'not a url' })),
  },
  {
    name: 'AuthorizationError from a callback with error and a code',
    Class: AuthorizationError,
    produce: async () =>
      thrown(() => validateCallback(`${REDIRECT_URI}?error=access_denied&error_description=User%20declined&state=s1&code=${CODE}`, { state: 's1' })),
  },
  {
    name: 'StateMismatchError from a callback with a code and the wrong state',
    Class: StateMismatchError,
    produce: async () => thrown(() => validateCallback(`${REDIRECT_URI}?code=${CODE}&state=forged`, { state: 's1' })),
  },
  {
    name: 'CallbackError from a callback that repeats the code',
    Class: CallbackError,
    produce: async () => thrown(() => validateCallback(`${REDIRECT_URI}?code=${CODE}&code=${CODE}&state=s1`, { state: 's1' })),
  },
  {
    name: 'OAuthError whose description echoes the secret, code and verifier (client_secret_post)',
    Class: OAuthError,
    produce: () => {
      echoingTokenEndpoint(400)
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'OAuthError whose description echoes the secret, code and verifier (client_secret_basic, 401)',
    Class: OAuthError,
    produce: () => {
      onToken(async ({ request }) => {
        const form = new URLSearchParams(await request.text())
        const basic = atob((request.headers.get('authorization') ?? '').replace(/^Basic /, ''))
        const [id, secret] = basic.split(':').map(decodeURIComponent)
        return oauthJson(401, {
          error: 'invalid_client',
          error_description: `client ${id} with secret ${secret} and code ${form.get('code')} / ${form.get('code_verifier')}`,
        })
      })
      return rejection(client({ clientAuth: 'client_secret_basic' }).exchangeCode(exchangeParams))
    },
  },
  {
    name: 'OAuthError whose error and description echo the refresh token',
    Class: OAuthError,
    produce: () => {
      onToken(async ({ request }) => {
        const form = new URLSearchParams(await request.text())
        return oauthJson(400, {
          error: `bad_${form.get('refresh_token')}`,
          error_description: `refresh token ${form.get('refresh_token')} is revoked (secret ${form.get('client_secret')})`,
        })
      })
      return rejection(client().refresh({ refreshToken: REFRESH_TOKEN }))
    },
  },
  {
    name: 'OAuthError from a userinfo challenge that echoes the access token',
    Class: OAuthError,
    produce: () => {
      server.use(
        http.get(USERINFO_URL, ({ request }) => {
          const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '')
          return new HttpResponse(null, {
            status: 401,
            headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="token ${token} expired"` },
          })
        }),
      )
      return rejection(client().userinfo(ACCESS_TOKEN))
    },
  },
  {
    name: 'OAuthError from a revocation that echoes the token',
    Class: OAuthError,
    produce: () => {
      server.use(
        http.post(REVOKE_URL, async ({ request }) => {
          const form = new URLSearchParams(await request.text())
          return oauthJson(400, { error: 'invalid_request', error_description: `cannot revoke ${form.get('token')} for ${form.get('client_secret')}` })
        }),
      )
      return rejection(client().revoke(REFRESH_TOKEN))
    },
  },
  {
    name: 'ResponseError from a 200 with tokens but a numeric token_type',
    Class: ResponseError,
    produce: () => {
      onToken(() => HttpResponse.json({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 42 }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'ResponseError from a 200 that is not JSON and quotes every value sent',
    Class: ResponseError,
    produce: () => {
      onToken(async ({ request }) => new HttpResponse(`${await request.text()}&access_token=${ACCESS_TOKEN}`, { headers: { 'content-type': 'text/plain' } }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'ResponseError from an unsupported token_type alongside real tokens',
    Class: ResponseError,
    produce: () => {
      onToken(() => HttpResponse.json({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 'mac' }))
      return rejection(client().refresh({ refreshToken: REFRESH_TOKEN }))
    },
  },
  {
    name: 'NetworkError from a refused connection during a code exchange',
    Class: NetworkError,
    produce: async () => {
      const port = await closedPort()
      const refused = new TokenClient({ domain: `127.0.0.1:${port}`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: realFetch, retries: 0 })
      return rejection(refused.exchangeCode(exchangeParams))
    },
  },
  {
    name: 'NetworkError from a connection dropped during a code exchange',
    Class: NetworkError,
    produce: () => {
      onToken(() => HttpResponse.error())
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'TimeoutError from a code exchange that never gets an answer',
    Class: TimeoutError,
    produce: () => {
      onToken(async () => {
        await delay('infinite')
        return HttpResponse.json({})
      })
      return rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams))
    },
  },
  {
    name: 'AbortError from a code exchange aborted mid-request',
    Class: AbortError,
    produce: () => {
      const controller = new AbortController()
      onToken(async () => {
        controller.abort()
        await delay('infinite')
        return HttpResponse.json({})
      })
      return rejection(client().exchangeCode({ ...exchangeParams, signal: controller.signal }))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an ID token for another audience',
    Class: IdTokenError,
    produce: async () => {
      tokensWithIdToken(await signedIdToken({ aud: 'some-other-client' }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an ID token with the wrong nonce',
    Class: IdTokenError,
    produce: async () => {
      tokensWithIdToken(await signedIdToken({ nonce: 'nonce-of-another-login' }))
      return rejection(client().exchangeCode({ ...exchangeParams, nonce: 'nonce-of-this-login' }))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an expired ID token',
    Class: IdTokenError,
    produce: async () => {
      const now = Math.floor(Date.now() / 1000)
      tokensWithIdToken(await signedIdToken({ iat: now - 7200, exp: now - 3600 }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an ID token that is not a JWT',
    Class: IdTokenError,
    produce: async () => {
      const garbage = 'idtoken-not-a-jwt-Zm9vYmFyYmF6cXV4'
      issuedIdTokens.push(garbage)
      tokensWithIdToken(garbage)
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'IdTokenError from an ID token of another organization',
    Class: IdTokenError,
    produce: async () => {
      tokensWithIdToken(await signedIdToken({ org_id: 'org_other' }))
      return rejection(client().exchangeCode({ ...exchangeParams, organization: 'org_requested' }))
    },
  },
  {
    name: 'LoginRequiredError from a TokenManager whose refresh token the server refuses (echoing it)',
    Class: LoginRequiredError,
    produce: async () => {
      echoingTokenEndpoint(400)
      const manager = new TokenManager({ client: client() })
      await manager.save('session-1', { accessToken: ACCESS_TOKEN, tokenType: 'Bearer', refreshToken: REFRESH_TOKEN, expiresAt: 1 })
      return rejection(manager.getAccessToken('session-1'))
    },
  },
  {
    name: 'LoginRequiredError from a TokenManager with nothing stored',
    Class: LoginRequiredError,
    produce: () => rejection(new TokenManager({ client: client() }).getAccessToken('session-without-tokens')),
  },
  {
    name: 'InvalidTokenError from an Authorization header that is not Bearer',
    Class: InvalidTokenError,
    produce: async () => thrown(() => extractBearerToken(`Token ${ACCESS_TOKEN}`)),
  },
  {
    name: 'InsufficientScopeError from claims that lack a scope',
    Class: InsufficientScopeError,
    produce: async () => thrown(() => requireScopes({ scope: 'openid profile', permissions: ['read:contacts'] }, ['write:contacts'])),
  },
  {
    name: 'SealError from opening a tampered transaction seal',
    Class: SealError,
    produce: async () => {
      const secret = 'a-cookie-secret-of-at-least-32-characters'
      const sealed = await sealTransaction({ state: 's', codeVerifier: VERIFIER, redirectUri: REDIRECT_URI, issuer: ISSUER }, { secret })
      const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA')
      return rejection(openTransaction(tampered, { secret }))
    },
  },
  {
    name: 'LogoutTokenError from a logout token that is an ID token in disguise',
    Class: LogoutTokenError,
    produce: async () => rejection(verifyLogoutToken(`${ACCESS_TOKEN}.extra`, { domain: DOMAIN, clientId: CLIENT_ID })),
  },
  // Thrown by RedisStorage/withWebLocks after a bounded wait; their own suites drive it for real.
  {
    name: 'LockTimeoutError, built directly',
    Class: LockTimeoutError,
    produce: async () => new LockTimeoutError('The refresh lock for this key was not free within 5000 ms'),
  },
]

describe('no secret in any error', () => {
  it.each(secretCases)('$name: no secret in message, String, JSON or inspect', async ({ Class, produce }) => {
    const err = expectError(await produce(), Class)
    expect(err).toBeInstanceOf(AuthcodeError)
    expect(err).toBeInstanceOf(Error)
    expect(typeof err.code).toBe('string')
    expect(err.code).toMatch(/^ERR_[A-Z_]+$/)
    const json = JSON.stringify(err)
    expect(JSON.parse(json)).toMatchObject({ code: err.code, name: err.name, message: err.message })
    expect(json).toContain(`"code":"${err.code}"`)
    const renderings: Record<string, string> = {
      message: err.message,
      'String(err)': String(err),
      'JSON.stringify(err)': json,
      'util.inspect(err)': inspect(err, { depth: 10 }),
    }
    for (const [where, text] of Object.entries(renderings)) {
      for (const [label, value] of forbiddenValues()) {
        expect(text.includes(value), `${where} contains the ${label}`).toBe(false)
      }
    }
  })

  it('covers every error class that authcode exports', () => {
    const exported = Object.values(authcode).filter(
      (value): value is typeof AuthcodeError => typeof value === 'function' && value.prototype instanceof AuthcodeError,
    )
    const named = [
      ConfigError, AuthorizationError, StateMismatchError, CallbackError, OAuthError, ResponseError, NetworkError,
      TimeoutError, AbortError, IdTokenError, LoginRequiredError, InvalidTokenError, InsufficientScopeError,
    ]
    for (const Class of named) expect(exported, Class.name).toContain(Class)
    const covered = new Set<unknown>(secretCases.map((c) => c.Class))
    for (const Class of exported) expect(covered.has(Class), `${Class.name} has a case`).toBe(true)
  })
})

describe('ConfigError names the wrong ClientConfig field', () => {
  const base = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
  it.each<{ problem: string; config: Record<string, unknown>; field: string }>([
    { problem: 'clientId is missing', config: { domain: DOMAIN, clientSecret: CLIENT_SECRET }, field: 'clientId' },
    { problem: 'clientId is empty', config: { ...base, clientId: '' }, field: 'clientId' },
    { problem: 'clientSecret is empty', config: { ...base, clientSecret: '' }, field: 'clientSecret' },
    { problem: 'clientAuth is not a known method', config: { ...base, clientAuth: 'bogus' }, field: 'clientAuth' },
    { problem: 'timeoutMs is 0', config: { ...base, timeoutMs: 0 }, field: 'timeoutMs' },
    { problem: 'timeoutMs is 1.5', config: { ...base, timeoutMs: 1.5 }, field: 'timeoutMs' },
    { problem: 'retries is -1', config: { ...base, retries: -1 }, field: 'retries' },
    { problem: 'fetch is not a function', config: { ...base, fetch: 'https://example.com' }, field: 'fetch' },
    { problem: 'domain has a path', config: { ...base, domain: 'tenant.eu.auth0.com/oauth' }, field: 'domain' },
    { problem: 'domain uses http://', config: { ...base, domain: 'http://tenant.eu.auth0.com' }, field: 'domain' },
    {
      problem: 'issuer is not https and allowInsecureRequests is not set',
      config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, issuer: 'http://login.example.com/' },
      field: 'issuer',
    },
    { problem: 'privateKey is missing for private_key_jwt', config: { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt' }, field: 'privateKey' },
    { problem: 'clientSecret is missing for client_secret_basic', config: { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'client_secret_basic' }, field: 'clientSecret' },
    { problem: 'neither domain nor issuer is given', config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, field: 'domain' },
    { problem: 'clientId is a number', config: { ...base, clientId: 42 }, field: 'clientId' },
    { problem: 'domain is empty', config: { ...base, domain: '' }, field: 'domain' },
    { problem: 'issuer is empty', config: { clientId: CLIENT_ID, issuer: '' }, field: 'issuer' },
    { problem: 'audience is empty', config: { ...base, audience: '' }, field: 'audience' },
    { problem: 'timeoutMs is NaN', config: { ...base, timeoutMs: Number.NaN }, field: 'timeoutMs' },
    { problem: 'timeoutMs is Infinity', config: { ...base, timeoutMs: Number.POSITIVE_INFINITY }, field: 'timeoutMs' },
    { problem: 'timeoutMs is a string', config: { ...base, timeoutMs: '5000' }, field: 'timeoutMs' },
    { problem: 'timeoutMs is above the largest timer', config: { ...base, timeoutMs: 2 ** 31 }, field: 'timeoutMs' },
    { problem: 'retries is 11', config: { ...base, retries: 11 }, field: 'retries' },
    { problem: 'retries is 0.5', config: { ...base, retries: 0.5 }, field: 'retries' },
    { problem: 'maxRetryDelayMs is -1', config: { ...base, maxRetryDelayMs: -1 }, field: 'maxRetryDelayMs' },
    { problem: 'allowInsecureRequests is "yes"', config: { ...base, allowInsecureRequests: 'yes' }, field: 'allowInsecureRequests' },
    { problem: 'privateKey is a string', config: { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey: 'PEM' }, field: 'privateKey' },
    { problem: 'dpop is not a key pair', config: { ...base, dpop: {} }, field: 'dpop' },
  ])('rejects a config where $problem', ({ config, field }) => {
    const err = expectError(thrown(() => new TokenClient(config as unknown as ClientConfig)), ConfigError)
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.field).toBe(field)
    expect(err.message).toContain(`"${field}"`)
    expect(err.message).not.toContain(CLIENT_SECRET)
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: 'ERR_CONFIG', field })
  })

  it('says what is wrong, and reports the first wrong field in declaration order', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, timeoutMs: 0 }, 'must be above 0'],
      [{ ...base, timeoutMs: 1.5 }, 'must be a whole number of milliseconds'],
      [{ ...base, timeoutMs: 2 ** 31 }, 'must be at most 2147483647'],
      [{ ...base, retries: -1 }, 'must be 0 or more'],
      [{ ...base, retries: 11 }, 'must be 10 or less'],
      [{ ...base, clientAuth: 'bogus' }, 'must be one of client_secret_post, client_secret_basic, private_key_jwt, none'],
      [{ ...base, fetch: 1 }, 'must be a fetch function'],
      [{ ...base, clientId: '', timeoutMs: 0 }, 'the non-empty Client ID'],
    ]
    for (const [config, text] of cases) {
      const err = expectError(thrown(() => new TokenClient(config as unknown as ClientConfig)), ConfigError)
      expect(err.message).toContain(text)
    }
  })

  it('accepts undefined for every optional field (values read from unset env vars)', () => {
    const unset = { audience: undefined, timeoutMs: undefined, retries: undefined, maxRetryDelayMs: undefined, fetch: undefined, clientAuth: undefined, allowInsecureRequests: undefined }
    expect(new TokenClient({ ...base, ...unset }).timeoutMs).toBe(10_000)
  })

  it('makes no request when the config is wrong', () => {
    thrown(() => new TokenClient({ ...base, timeoutMs: 0 }))
    expect(log).toHaveLength(0)
  })
})

// Regressions: each of these failed against the first version of src/ and passes since its fix.
describe('regressions', () => {
  // src/http.ts send(): `new NetworkError(`Could not reach … (${err.message})`, { cause: err })` quotes
  // the fetch error's message unredacted and keeps the raw error (with whatever it carries) as
  // cause, although errors.ts promises a bare copy of the cause.
  it('a NetworkError quotes nothing the failed fetch attached: not the request body, not the secret', async () => {
    const leakyFetch: typeof fetch = async (input, init) => {
      throw Object.assign(new TypeError(`fetch failed: ${String(init?.body)}`), { request: { url: String(input), body: String(init?.body) } })
    }
    const err = expectError(await rejection(client({ fetch: leakyFetch }).exchangeCode(exchangeParams)), NetworkError)
    const rendered = `${err.message}\n${inspect(err, { depth: 10 })}`
    for (const value of [CLIENT_SECRET, CODE, VERIFIER]) expect(rendered).not.toContain(value)
  })

  // src/oauth-errors.ts redact(): replaces only the raw secret; a server that quotes the request
  // body quotes it form-encoded, and a secret with "~", "+", "/", "=", "&" or "%" (Entra ID
  // secrets contain "~") then reaches the message unredacted.
  it('a client secret echoed in its form-encoded form is redacted too', async () => {
    const secret = 'Xy8Q~aBcD3fGhIjK.lMnOpQrStUvWxYz0123_45'
    const encoded = new URLSearchParams({ s: secret }).toString().slice(2)
    expect(encoded).not.toBe(secret)
    onToken(async ({ request }) => oauthJson(400, { error: 'invalid_request', error_description: `bad body ${await request.text()}` }))
    const err = expectError(await rejection(client({ clientSecret: secret }).exchangeCode(exchangeParams)), OAuthError)
    expect(err.message).not.toContain(encoded)
    expect(err.message).not.toContain(secret)
  })

  // src/config.ts resolveConfig(): `pending ??= discover(url, http, …, signal)` shares one discovery
  // among concurrent calls but gives it the first caller's signal, so that caller's abort fails
  // every other caller with "aborted by the caller".
  it("one caller's abort during discovery does not abort another caller's exchange", async () => {
    const issuer = 'https://login.example.com/'
    server.use(
      http.get(`${issuer}.well-known/openid-configuration`, async () => {
        await delay(50)
        return HttpResponse.json({ issuer, authorization_endpoint: `${issuer}authorize`, token_endpoint: `${issuer}oauth/token` })
      }),
      http.post(`${issuer}oauth/token`, () => HttpResponse.json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' })),
    )
    const shared = new TokenClient({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    const controller = new AbortController()
    const first = rejection(shared.exchangeCode({ ...exchangeParams, signal: controller.signal }))
    const second = shared.exchangeCode(exchangeParams)
    controller.abort()
    expectError(await first, AbortError)
    await expect(second).resolves.toMatchObject({ accessToken: ACCESS_TOKEN })
  })

  // src/config.ts accepts any positive integer timeoutMs; src/http.ts attempt() hands it to
  // setTimeout, which turns anything above 2^31-1 ms into 1 ms: every request then times out.
  it('a timeoutMs above 2^31-1 ms is either refused or honoured, never an instant timeout', async () => {
    onToken(async () => {
      await delay(20)
      return HttpResponse.json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' })
    })
    let patient: TokenClient
    try {
      patient = client({ timeoutMs: 3_000_000_000 })
    } catch (err) {
      expect(expectError(err, ConfigError).field).toBe('timeoutMs')
      return
    }
    await expect(patient.exchangeCode(exchangeParams)).resolves.toMatchObject({ accessToken: ACCESS_TOKEN })
  })

  // src/http.ts attempt(): the body is read with `await res.arrayBuffer()` and the timer only
  // aborts the controller; with a fetch that does not error the body stream on abort (msw, which
  // authcode's own testing story relies on) a stalled body hangs forever instead of timing out.
  it('times out a stalled body even when the injected fetch ignores the abort once headers are in', async () => {
    onToken(() => stalledResponse(200, '{"access_token":'))
    expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
  })
})
