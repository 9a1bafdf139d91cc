// The one module that calls fetch: bounded retries with Retry-After, answers that are not a token response, network failures, the caller's abort.
import { inspect } from 'node:util'
import { delay } from 'msw'
import { describe, expect, it } from 'vitest'
import { AbortError, NetworkError, OAuthError, ResponseError, TokenClient } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, HttpResponse, http, onToken, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { realFetch, closedPort } from '../helpers/local-server.js'
import { USERINFO_URL, ACCESS_TOKEN, REFRESH_TOKEN, exchangeParams, client, expectError, oauthJson } from '../helpers/token-client.js'

const log = useMockServer()

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
