// Fault injection against a real local server: refreshes under faults, and TokenManager never losing the stored token set.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  LoginRequiredError,
  MemoryStorage,
  NetworkError,
  OAuthError,
  TimeoutError,
  TokenClient,
  TokenManager,
  type AuthcodeError,
  type ClientConfig,
  type TokenSet,
} from 'authcode'
import { type Fault, type FaultServer, REDIRECT_URI, startFaultServer } from '../helpers/fault-server.js'
import { rejection } from '../helpers/outcome.js'
import { FAST, TOO_SLOW, type ErrorClass, rejectionOf, expectNoSecrets } from '../helpers/fault-checks.js'

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

/** Discovery happens once per config; do it before scripting the token endpoint. */
async function exchange(c: TokenClient, code: string): Promise<TokenSet> {
  return c.exchangeCode({ code, redirectUri: REDIRECT_URI })
}

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
