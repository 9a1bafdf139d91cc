// Fault injection against a real local server: a code exchange is never sent twice once it may have reached the server; typed errors and the retry rules of DESIGN.md.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { NetworkError, OAuthError, ResponseError, TimeoutError, TokenClient, type ClientConfig, type TokenSet } from 'authcode'
import { type Fault, type FaultServer, REDIRECT_URI, countingFetch, startFaultServer } from '../helpers/fault-server.js'
import { rejection } from '../helpers/outcome.js'
import { formEntries } from '../helpers/requests.js'
import { TIMEOUT_MS, FAST, TOO_SLOW, rejectionOf, timed, expectNoSecrets } from '../helpers/fault-checks.js'

let server: FaultServer
beforeAll(async () => {
  server = await startFaultServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  server.resetLog()
})

function client(extra: Partial<ClientConfig> = {}): TokenClient {
  return new TokenClient(server.clientConfig({ ...FAST, ...extra }))
}

/**
 * Stops the token listener, then gives the shared fetch time to see its spare connections
 * close: a request written to one of those would fail as "other side closed" (sent, so not
 * retried) instead of being refused.
 */
async function stopTokenListener(): Promise<void> {
  await server.stopTokenListener()
  await new Promise((resolve) => setTimeout(resolve, 50))
}

/** Discovery happens once per config; do it before scripting the token endpoint. */
async function exchange(c: TokenClient, code: string): Promise<TokenSet> {
  return c.exchangeCode({ code, redirectUri: REDIRECT_URI })
}

describe('code exchange under faults (a code works once: no retry once it may have been sent)', () => {
  it('connection dropped when the request arrived, before the server read it: exactly one connection, NetworkError, code unspent', async () => {
    const c = client()
    server.enqueue({ kind: 'drop-before-read' })
    const code = server.mintCode('drop-before-read')
    const err = await rejection(exchange(c, code), NetworkError)
    expect(server.tokenRequests()).toHaveLength(1)
    expect(server.tokenRequests()[0]!.fault).toBe('drop-before-read')
    expect(server.codeUsed(code)).toBe(false)
    expectNoSecrets(err, code)
  })

  it('connection closed the moment it was accepted: one connection, no retry; NetworkError, or TimeoutError when undici stalls', async () => {
    // A server of its own: no spare connection of the shared fetch may be open to it.
    const fresh = await startFaultServer()
    try {
      const c = new TokenClient(fresh.clientConfig(FAST))
      await rejection(c.refresh({ refreshToken: 'rt-warm-up-discovery' }), OAuthError)
      // The warm-up's connection was closed by the server (connection: close); wait for it.
      await new Promise((resolve) => setTimeout(resolve, 20))
      fresh.resetLog()
      fresh.enqueue({ kind: 'drop-on-connect' })
      const code = fresh.mintCode('drop-on-connect')
      // undici sometimes misses a FIN that comes right after connect and waits for an answer
      // that never comes; the SDK's own timer then ends the attempt with a TimeoutError.
      const { value: err, ms } = await timed(() => rejectionOf(exchange(c, code), [NetworkError, TimeoutError]))
      expect(ms).toBeLessThan(TIMEOUT_MS + 600)
      expect(fresh.tokenRequests().map((r) => r.fault)).toEqual(['drop-on-connect'])
      expect(fresh.codeUsed(code)).toBe(false)
      expectNoSecrets(err, code)
    } finally {
      await fresh.close()
    }
  })

  it.each([
    ['FIN', false],
    ['RST', true],
  ])('connection closed (%s) after the request was read, before any answer: exactly one request, NetworkError', async (_, reset) => {
    const c = client()
    server.enqueue({ kind: 'drop-after-read', reset })
    const code = server.mintCode('drop-after-read')
    const err = await rejection(exchange(c, code), NetworkError)
    expect(err.code).toBe('ERR_NETWORK')
    const requests = server.tokenRequests()
    expect(requests).toHaveLength(1)
    expect(requests[0]!.grant).toBe('authorization_code')
    expect(requests[0]!.form?.get('code')).toBe(code)
    expect(server.codeUsed(code)).toBe(false)
    expectNoSecrets(err, code)
  })

  it('no headers within timeoutMs: TimeoutError after about timeoutMs, exactly one request', async () => {
    const c = client()
    server.enqueue({ kind: 'slow-headers', delayMs: TOO_SLOW })
    const code = server.mintCode('slow-headers')
    const { value: err, ms } = await timed(() => rejection(exchange(c, code), TimeoutError))
    expect(err.code).toBe('ERR_TIMEOUT')
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
    expect(ms).toBeLessThan(TIMEOUT_MS + 600)
    expect(server.tokenRequests('authorization_code')).toHaveLength(1)
  })

  it('headers in time but the body stalls past timeoutMs: TimeoutError, exactly one request (the code was spent)', async () => {
    const c = client()
    server.enqueue({ kind: 'slow-body', delayMs: TOO_SLOW })
    const code = server.mintCode('slow-body')
    const { value: err, ms } = await timed(() => rejection(exchange(c, code), TimeoutError))
    expect(err).toBeInstanceOf(TimeoutError)
    expect(ms).toBeLessThan(TIMEOUT_MS + 600)
    expect(server.tokenRequests('authorization_code')).toHaveLength(1)
    // Why it must not be retried: the server acted, and the code is now spent.
    expect(server.codeUsed(code)).toBe(true)
    const again = await rejection(exchange(c, code), OAuthError)
    expect(again.error).toBe('invalid_grant')
  })

  it('connection reset mid-body (half the JSON, then destroy): NetworkError, exactly one request', async () => {
    const c = client()
    server.enqueue({ kind: 'reset-mid-body' })
    const code = server.mintCode('reset-mid-body')
    const err = await rejection(exchange(c, code), NetworkError)
    expectNoSecrets(err, code)
    expect(server.tokenRequests('authorization_code')).toHaveLength(1)
    expect(server.tokenRequests()[0]!.status).toBe(200)
    expect(server.codeUsed(code)).toBe(true)
  })

  it('server acted (issued tokens) then the connection broke before the answer: NetworkError, exactly one request', async () => {
    const c = client()
    server.enqueue({ kind: 'rotate-then-drop' })
    const code = server.mintCode('act-then-drop')
    await rejection(exchange(c, code), NetworkError)
    expect(server.tokenRequests()).toHaveLength(1)
    expect(server.tokenRequests()[0]!.acted).toBe(true)
  })

  it.each<[string, Fault]>([
    ['slow headers', { kind: 'slow-headers', delayMs: 100 }],
    ['a slow body', { kind: 'slow-body', delayMs: 100 }],
  ])('%s within timeoutMs: succeeds with one request', async (_, fault) => {
    const c = client()
    server.enqueue(fault)
    const tokens = await exchange(c, server.mintCode('slow-ok'))
    expect(server.accepts(tokens.accessToken)).toBe(true)
    expect(server.tokenRequests()).toHaveLength(1)
  })

  it('503 with Retry-After: 0 is retried (the server did not act): the same request again, success, code spent once', async () => {
    const c = client()
    server.enqueue({ kind: 'status', status: 503, retryAfter: '0' })
    const code = server.mintCode('503-then-ok')
    const tokens = await exchange(c, code)
    expect(server.isCurrent(tokens.refreshToken)).toBe(true)
    const requests = server.tokenRequests('authorization_code')
    expect(requests.map((r) => r.status)).toEqual([503, 200])
    expect(formEntries(requests[1]!.form)).toEqual(formEntries(requests[0]!.form))
    expect(requests.filter((r) => r.acted)).toHaveLength(1)
  })

  it('429 with Retry-After: 1 (seconds) waits at least one second before the one retry', async () => {
    const c = client({ maxRetryDelayMs: 2_500 })
    server.enqueue({ kind: 'status', status: 429, retryAfter: '1' })
    await exchange(c, server.mintCode('429-seconds'))
    const [first, second] = server.tokenRequests('authorization_code')
    expect(server.tokenRequests()).toHaveLength(2)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990)
    expect(second!.at - first!.at).toBeLessThan(3_000)
  })

  it('503 with Retry-After as an HTTP-date is retried no earlier than that date', async () => {
    const c = client({ maxRetryDelayMs: 2_500 })
    server.enqueue({ kind: 'status', status: 503, retryAfter: { inMs: 1_000 } })
    await exchange(c, server.mintCode('503-date'))
    const [first, second] = server.tokenRequests()
    expect(server.tokenRequests()).toHaveLength(2)
    // The date was the first whole second at least 1 s after the first request.
    const date = Math.ceil((first!.at + 1_000) / 1_000) * 1_000
    expect(second!.at).toBeGreaterThanOrEqual(date - 10)
    expect(second!.at - first!.at).toBeLessThan(4_000)
  })

  it('429/503 without Retry-After is retried after the capped backoff', async () => {
    const c = client()
    server.enqueue({ kind: 'status', status: 503 }, { kind: 'status', status: 429 })
    const { ms } = await timed(() => exchange(c, server.mintCode('no-retry-after')))
    expect(server.tokenRequests().map((r) => r.status)).toEqual([503, 429, 200])
    expect(ms).toBeGreaterThanOrEqual(2 * FAST.maxRetryDelayMs - 5)
  })

  // oauth4webapi reads an OAuth error body on 4xx only (RFC 6749 §5.2), so a 5xx with a JSON
  // error is a ResponseError; a 429 with one is an OAuthError.
  it('503 on every attempt: retries + 1 requests, then OAuthError 503 temporarily_unavailable with retryAfter', async () => {
    const c = client()
    const busy: Fault = { kind: 'status', status: 503, retryAfter: '0' }
    server.enqueue(busy, busy, busy)
    const err = await rejection(exchange(c, server.mintCode('503-always')), OAuthError)
    expect(err.status).toBe(503)
    expect(err.error).toBe('temporarily_unavailable')
    expect(err.retryAfter).toBe(0)
    expect(server.tokenRequests()).toHaveLength(FAST.retries + 1)
    expect(server.tokenRequests().every((r) => !r.acted)).toBe(true)
  })

  it('429 on every attempt: retries + 1 requests, then OAuthError 429 too_many_requests', async () => {
    const c = client()
    const busy: Fault = { kind: 'status', status: 429, retryAfter: '0' }
    server.enqueue(busy, busy, busy)
    const err = await rejection(exchange(c, server.mintCode('429-always')), OAuthError)
    expect(err.status).toBe(429)
    expect(err.error).toBe('too_many_requests')
    expect(err.retryAfter).toBe(0)
    expect(server.tokenRequests()).toHaveLength(FAST.retries + 1)
  })

  it('503 with an HTML body on every attempt: retries + 1 requests, then ResponseError 503', async () => {
    const c = client()
    const busy: Fault = { kind: 'status', status: 503, retryAfter: '0', body: 'html' }
    server.enqueue(busy, busy, busy)
    const err = await rejection(exchange(c, server.mintCode('503-html')), ResponseError)
    expect(err.status).toBe(503)
    expect(err.retryAfter).toBe(0)
    expect(server.tokenRequests()).toHaveLength(3)
  })

  it('a Retry-After longer than maxRetryDelayMs is not waited for: one request, the error carries retryAfter', async () => {
    const c = client()
    server.enqueue({ kind: 'status', status: 429, retryAfter: '60' })
    const { value: err, ms } = await timed(() => rejection(exchange(c, server.mintCode('429-long')), OAuthError))
    expect(err.status).toBe(429)
    expect(err.error).toBe('too_many_requests')
    expect(err.retryAfter).toBe(60)
    expect(ms).toBeLessThan(1_000)
    expect(server.tokenRequests()).toHaveLength(1)
  })

  it('a body over 1 MiB (declared or streamed) is refused with ResponseError, one request', async () => {
    for (const declareLength of [true, false]) {
      server.resetLog()
      const c = client({ timeoutMs: 5_000 })
      server.enqueue({ kind: 'huge-body', bytes: 2 * 1024 * 1024, declareLength })
      const err = await rejection(exchange(c, server.mintCode('huge')), ResponseError)
      expect(err.message).toContain('1 MiB')
      expect(server.tokenRequests()).toHaveLength(1)
    }
  })

  it('connection refused (never sent) is retried even for a code exchange: retries + 1 attempts, then NetworkError ECONNREFUSED', async () => {
    const counter = countingFetch()
    const c = client({ fetch: counter.fetch })
    await rejection(c.refresh({ refreshToken: 'rt-warm-up-discovery' }), OAuthError) // discovery + one request
    counter.attempts.length = 0
    server.resetLog()
    await stopTokenListener()
    try {
      const code = server.mintCode('refused')
      const err = await rejection(exchange(c, code), NetworkError)
      expect(err.message).toContain('(ECONNREFUSED)')
      expect(counter.attempts).toEqual(Array(FAST.retries + 1).fill(server.tokenEndpoint))
      expect(server.tokenRequests()).toHaveLength(0)
      expectNoSecrets(err, code)
    } finally {
      await server.restartTokenListener()
    }
  })

  it('connection refused, then the server is back: the retry succeeds', async () => {
    let stopped = false
    const counter = countingFetch(async (url, n) => {
      if (stopped && n === 1 && url === server.tokenEndpoint) {
        await server.restartTokenListener()
        stopped = false
      }
    })
    const c = client({ fetch: counter.fetch })
    await rejection(c.refresh({ refreshToken: 'rt-warm-up-discovery' }), OAuthError)
    counter.attempts.length = 0
    server.resetLog()
    await stopTokenListener()
    stopped = true
    try {
      const tokens = await exchange(c, server.mintCode('refused-then-ok'))
      expect(server.isCurrent(tokens.refreshToken)).toBe(true)
      expect(counter.attempts).toHaveLength(2)
      expect(server.tokenRequests('authorization_code')).toHaveLength(1)
    } finally {
      if (stopped) await server.restartTokenListener()
    }
  })

  it('discovery (an idempotent GET) is retried after a dropped connection', async () => {
    const c = client()
    server.metaQueue.push({ kind: 'drop-after-read' })
    const tokens = await exchange(c, server.mintCode('discovery-drop'))
    expect(server.accepts(tokens.accessToken)).toBe(true)
    expect(server.metaRequests('/.well-known/openid-configuration')).toHaveLength(2)
    expect(server.tokenRequests()).toHaveLength(1)
  })

  it('discovery failing on every attempt: NetworkError, no token request (code unspent); the next call discovers again', async () => {
    const c = client()
    server.metaQueue.push({ kind: 'drop-after-read' }, { kind: 'drop-after-read' }, { kind: 'drop-after-read' })
    const code = server.mintCode('discovery-down')
    await rejection(exchange(c, code), NetworkError)
    expect(server.metaRequests('/.well-known/openid-configuration')).toHaveLength(FAST.retries + 1)
    expect(server.tokenRequests()).toHaveLength(0)
    expect(server.codeUsed(code)).toBe(false)
    // A failed discovery is not cached: the same code still works.
    const tokens = await exchange(c, code)
    expect(server.accepts(tokens.accessToken)).toBe(true)
    expect(server.metaRequests('/.well-known/openid-configuration')).toHaveLength(FAST.retries + 2)
  })
})
