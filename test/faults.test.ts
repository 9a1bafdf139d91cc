// Fault injection against a real local server: typed errors, DESIGN.md's retry rules, and no token set lost.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  LoginRequiredError,
  MemoryStorage,
  NetworkError,
  OAuthError,
  ResponseError,
  TimeoutError,
  TokenClient,
  TokenManager,
  type AuthcodeError,
  type ClientConfig,
  type TokenSet,
} from 'authcode'
import { type Fault, type FaultServer, REDIRECT_URI, countingFetch, startFaultServer } from './helpers/fault-server.js'

const TIMEOUT_MS = 400
/** Small numbers so that every retry path runs in milliseconds. */
const FAST = { timeoutMs: TIMEOUT_MS, retries: 2, maxRetryDelayMs: 50 } as const
/** Beyond the timeout, with room for the server to notice the client has gone. */
const TOO_SLOW = TIMEOUT_MS + 400

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

// --- small helpers --------------------------------------------------------------------------

type ErrorClass<E> = abstract new (...args: never[]) => E

/** The rejection of `promise`, checked to be an instance of `type`. */
async function rejection<E extends Error>(promise: Promise<unknown>, type: ErrorClass<E>): Promise<E> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a ${type.name}, but the call succeeded`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(type)
  return err as E
}

/** The rejection of `promise`, checked to be an instance of one of `types`. */
async function rejectionOf(promise: Promise<unknown>, types: ReadonlyArray<ErrorClass<AuthcodeError>>): Promise<AuthcodeError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection, but the call succeeded')
    },
    (e: unknown) => e,
  )
  expect(types.some((t) => err instanceof t), `unexpected ${String(err)}`).toBe(true)
  return err as AuthcodeError
}

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

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now()
  const value = await work()
  return { value, ms: performance.now() - start }
}

/** Discovery happens once per config; do it before scripting the token endpoint. */
async function exchange(c: TokenClient, code: string): Promise<TokenSet> {
  return c.exchangeCode({ code, redirectUri: REDIRECT_URI })
}

function formEntries(form: URLSearchParams | undefined): Array<[string, string]> {
  return [...(form?.entries() ?? [])].sort(([a], [b]) => a.localeCompare(b))
}

/** No secret, code or token in what an error shows. */
function expectNoSecrets(err: Error, ...secrets: string[]): void {
  const shown = `${err.message} ${JSON.stringify(err)} ${String((err.cause as Error | undefined)?.message)}`
  for (const secret of ['fault-client-secret-0123456789', ...secrets]) expect(shown).not.toContain(secret)
}

// --- the code exchange: never sent twice once it may have reached the server ----------------

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

// --- refresh through TokenClient: same rule, a refresh is not idempotent either --------------

describe('TokenClient.refresh under faults', () => {
  async function freshRefreshToken(c: TokenClient): Promise<string> {
    const tokens = await exchange(c, server.mintCode('refresh'))
    server.resetLog()
    return tokens.refreshToken!
  }

  it.each<[string, Fault, ErrorClass<AuthcodeError>]>([
    ['dropped after it was read', { kind: 'drop-after-read' }, NetworkError],
    ['reset mid-body', { kind: 'reset-mid-body' }, NetworkError],
    ['too slow', { kind: 'slow-headers', delayMs: TOO_SLOW }, TimeoutError],
  ])('a refresh %s is not retried: one request, typed error, no token in the message', async (_, fault, type) => {
    const c = client()
    const refreshToken = await freshRefreshToken(c)
    server.enqueue(fault)
    const err = await rejection(c.refresh({ refreshToken }), type)
    expect(server.tokenRequests('refresh_token')).toHaveLength(1)
    expectNoSecrets(err, refreshToken)
  })

  it('a refresh answered 503 then 200 makes two requests and returns the rotated token', async () => {
    const c = client()
    const refreshToken = await freshRefreshToken(c)
    server.enqueue({ kind: 'status', status: 503, retryAfter: '0' })
    const tokens = await c.refresh({ refreshToken })
    expect(tokens.refreshToken).not.toBe(refreshToken)
    expect(server.isCurrent(tokens.refreshToken)).toBe(true)
    expect(server.tokenRequests('refresh_token').map((r) => r.status)).toEqual([503, 200])
  })

  // RFC 9110 allows only whole seconds or an HTTP-date. A server that sends "1.5" gets it
  // rounded up (before the fix, Date.parse read "1.5" as a date in 2001: "retry now"); one
  // that sends "-1" gets the SDK's own backoff.
  it('a fractional Retry-After ("1.5") is rounded up and honoured: the retry waits 2 s', async () => {
    const c = client({ maxRetryDelayMs: 2_500 })
    const refreshToken = await freshRefreshToken(c)
    server.enqueue({ kind: 'status', status: 503, retryAfter: '1.5' })
    await c.refresh({ refreshToken })
    const [first, second] = server.tokenRequests()
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_990)
    expect(second!.at - first!.at).toBeLessThan(4_000)
  })

  it('a Retry-After that is neither seconds nor a date ("-1") falls back to the backoff, not "retry now"', async () => {
    const c = client({ maxRetryDelayMs: 2_500 })
    const refreshToken = await freshRefreshToken(c)
    server.enqueue({ kind: 'status', status: 503, retryAfter: '-1' })
    await c.refresh({ refreshToken })
    const [first, second] = server.tokenRequests()
    // The first backoff is 100-199 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(95)
    expect(second!.at - first!.at).toBeLessThan(1_000)
  })
})

// --- TokenManager: nothing lost ---------------------------------------------------------------

describe('TokenManager under faults: the stored token set survives', () => {
  let seq = 0

  async function setup(): Promise<{ manager: TokenManager; storage: MemoryStorage; key: string; before: TokenSet }> {
    const c = client()
    const storage = new MemoryStorage()
    const manager = new TokenManager({ client: c, storage, leewaySeconds: 0 })
    const key = `user-${++seq}`
    await manager.save(key, await exchange(c, server.mintCode(key)))
    // Expire the access token so that the next getAccessToken refreshes.
    const saved = (await storage.get(key))!
    await storage.set(key, { ...saved, expiresAt: Math.floor(Date.now() / 1000) - 1 })
    server.resetLog()
    return { manager, storage, key, before: (await storage.get(key))! }
  }

  /** The stored set is usable: its refresh token is the server's current one, and a refresh works. */
  async function expectUsable(manager: TokenManager, storage: MemoryStorage, key: string): Promise<void> {
    const stored = await storage.get(key)
    expect(stored).toBeDefined()
    expect(server.isCurrent(stored!.refreshToken)).toBe(true)
    server.resetLog()
    const accessToken = await manager.getAccessToken(key)
    expect(server.accepts(accessToken)).toBe(true)
    expect(server.tokenRequests('refresh_token')).toHaveLength(1)
    const after = await storage.get(key)
    expect(after!.refreshToken).not.toBe(stored!.refreshToken)
    expect(server.isCurrent(after!.refreshToken)).toBe(true)
  }

  const busy: Fault = { kind: 'status', status: 503, retryAfter: '0' }
  it.each<[string, Fault[], ErrorClass<AuthcodeError>[], number]>([
    ['dropped before the request was read', [{ kind: 'drop-before-read' }], [NetworkError, TimeoutError], 1],
    ['dropped after the request was read (FIN)', [{ kind: 'drop-after-read' }], [NetworkError], 1],
    ['dropped after the request was read (RST)', [{ kind: 'drop-after-read', reset: true }], [NetworkError], 1],
    ['too slow (the server never acted)', [{ kind: 'slow-headers', delayMs: TOO_SLOW }], [TimeoutError], 1],
    ['503 on every attempt', [busy, busy, busy], [OAuthError], 3],
    ['429 with a Retry-After too long to wait', [{ kind: 'status', status: 429, retryAfter: '60' }], [OAuthError], 1],
  ])('refresh %s: typed error, no retry past the policy, the old set kept and still usable', async (_, faults, types, requests) => {
    const { manager, storage, key, before } = await setup()
    server.enqueue(...faults)
    await rejectionOf(manager.getAccessToken(key), types)
    expect(server.tokenRequests()).toHaveLength(requests)
    expect(server.tokenRequests().every((r) => !r.acted)).toBe(true)
    expect(await storage.get(key)).toEqual(before)
    await expectUsable(manager, storage, key)
  })

  it('503 then 200: one getAccessToken, two requests, the rotated token stored', async () => {
    const { manager, storage, key, before } = await setup()
    server.enqueue(busy)
    const accessToken = await manager.getAccessToken(key)
    expect(server.tokenRequests().map((r) => r.status)).toEqual([503, 200])
    const stored = (await storage.get(key))!
    expect(stored.accessToken).toBe(accessToken)
    expect(stored.refreshToken).not.toBe(before.refreshToken)
    expect(server.isCurrent(stored.refreshToken)).toBe(true)
  })

  it('rotated, then a failure: the rotated token is stored, the failed refresh leaves it, the next refresh uses it', async () => {
    const { manager, storage, key, before } = await setup()
    await manager.getAccessToken(key) // rotation 1 (ok)
    const rotated = (await storage.get(key))!
    expect(rotated.refreshToken).not.toBe(before.refreshToken)
    await storage.set(key, { ...rotated, expiresAt: Math.floor(Date.now() / 1000) - 1 })
    server.resetLog()
    server.enqueue({ kind: 'drop-after-read' })
    await rejection(manager.getAccessToken(key), NetworkError)
    expect((await storage.get(key))!.refreshToken).toBe(rotated.refreshToken)
    await expectUsable(manager, storage, key)
    expect(server.familyOf(rotated.refreshToken!)!.reuses).toBe(0)
  })

  // A lost rotation: the server rotated, the client never saw the new refresh token. Nothing
  // can recover it, the old one is kept (the SDK cannot know the server acted), and spending
  // it again is reuse: the server revokes the family and the user must log in again. That is
  // the correct outcome; a client that guessed otherwise would hold a dead token or loop.
  it.each<[string, Fault, ErrorClass<AuthcodeError>]>([
    ['rotated, then the connection broke before the answer', { kind: 'rotate-then-drop' }, NetworkError],
    ['rotated, then the connection was reset mid-body', { kind: 'reset-mid-body' }, NetworkError],
    ['rotated, then the body stalled past the timeout', { kind: 'slow-body', delayMs: TOO_SLOW }, TimeoutError],
  ])('%s: typed error, old token kept; the next refresh is invalid_grant -> LoginRequiredError, key cleared', async (_, fault, type) => {
    const { manager, storage, key, before } = await setup()
    server.enqueue(fault)
    await rejection(manager.getAccessToken(key), type)
    expect(server.tokenRequests()).toHaveLength(1)
    expect(server.tokenRequests()[0]!.acted).toBe(true)
    // The client kept what it had; the server moved on.
    expect(await storage.get(key)).toEqual(before)
    const family = server.familyOf(before.refreshToken!)!
    expect(family.rotations).toBe(1)
    expect(server.isCurrent(before.refreshToken)).toBe(false)
    const lost = family.refreshTokens.at(-1)!

    const err = await rejection(manager.getAccessToken(key), LoginRequiredError)
    expect(err.cause).toBeInstanceOf(OAuthError)
    expect((err.cause as OAuthError).error).toBe('invalid_grant')
    expect(server.tokenRequests('refresh_token')).toHaveLength(2)
    expect(await storage.get(key)).toBeUndefined()
    // Reuse revoked the family, the rotated-away token the client never saw included.
    expect(family.reuses).toBe(1)
    expect(family.revoked).toBe(true)
    expect(server.isCurrent(lost)).toBe(false)
    // And nothing more is sent for this key.
    await rejection(manager.getAccessToken(key), LoginRequiredError)
    expect(server.tokenRequests()).toHaveLength(2)
  })

  it('20 concurrent callers on an expired key during a dropped refresh: one request, one shared NetworkError, set kept', async () => {
    const { manager, storage, key, before } = await setup()
    server.enqueue({ kind: 'drop-after-read' })
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => manager.getAccessToken(key)))
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : undefined))
    expect(reasons[0]).toBeInstanceOf(NetworkError)
    expect(new Set(reasons).size).toBe(1)
    expect(server.tokenRequests()).toHaveLength(1)
    expect(await storage.get(key)).toEqual(before)
    await expectUsable(manager, storage, key)
  })

  it('20 concurrent callers during a 503-then-200 refresh: two requests, one rotation, the same token for all', async () => {
    const { manager, storage, key } = await setup()
    server.enqueue(busy)
    const tokens = await Promise.all(Array.from({ length: 20 }, () => manager.getAccessToken(key)))
    expect(new Set(tokens).size).toBe(1)
    expect(server.tokenRequests().map((r) => r.status)).toEqual([503, 200])
    expect((await storage.get(key))!.accessToken).toBe(tokens[0])
  })

  it('fetch: a refresh fault reaches the caller typed, the API is not called, and the next fetch works', async () => {
    const { manager, storage, key, before } = await setup()
    server.enqueue({ kind: 'drop-after-read' })
    await rejection(manager.fetch(key, server.apiUrl), NetworkError)
    expect(server.metaRequests('/api/whoami')).toHaveLength(0)
    expect(await storage.get(key)).toEqual(before)
    const res = await manager.fetch(key, server.apiUrl)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ family: key })
  })
})
