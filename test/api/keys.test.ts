// The issuer's signing keys for authcode/api: discovery, the JWKS request, keys kept between verifications, jwksCache.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SignJWT } from 'jose'
import {
  ConfigError,
  InvalidTokenError,
  NetworkError,
  ResponseError,
  TimeoutError,
  createAccessTokenVerifier,
  type JwksCache,
} from 'authcode/api'
import { HttpResponse, http, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import {
  ISSUER,
  JWKS_URL,
  AUDIENCE,
  OIDC_ISSUER,
  OIDC_DISCOVERY,
  OIDC_JWKS,
  signers,
  accessClaims,
  signWith,
  validToken,
  type ServedKeys,
  serveJwks,
  serveDefaultJwks,
  serveDiscovery,
  requestCount,
  domainVerifier,
} from '../helpers/api-tenant.js'
import { expectNoTokenIn, expectInvalidToken } from '../helpers/invalid-token.js'

const log = useMockServer()

afterEach(() => {
  vi.useRealTimers()
})

describe('createAccessTokenVerifier with an issuer (discovery)', () => {
  function issuerVerifier() {
    return createAccessTokenVerifier({ issuer: OIDC_ISSUER, audience: AUDIENCE })
  }

  it('finds the keys through jwks_uri of the discovery document and verifies a token', async () => {
    const s = await signers
    serveDiscovery()
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, OIDC_ISSUER))
    const claims = await issuerVerifier()(`Bearer ${token}`)
    expect(claims.iss).toBe(OIDC_ISSUER)
    expect(requestCount(log, OIDC_DISCOVERY)).toBe(1)
    expect(requestCount(log, OIDC_JWKS)).toBe(1)
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('refuses a token whose iss differs from the configured issuer (even by a trailing slash)', async () => {
    const s = await signers
    serveDiscovery()
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, `${OIDC_ISSUER}/`))
    await expectInvalidToken(issuerVerifier()(token), token, /"iss"/)
  })

  it('makes one discovery and one JWKS request for 100 concurrent cold verifications', async () => {
    const s = await signers
    serveDiscovery()
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, OIDC_ISSUER))
    const verify = issuerVerifier()
    const results = await Promise.all(Array.from({ length: 100 }, () => verify(token)))
    expect(results).toHaveLength(100)
    expect(requestCount(log, OIDC_DISCOVERY)).toBe(1)
    expect(requestCount(log, OIDC_JWKS)).toBe(1)
    await verify(token)
    expect(requestCount(log, OIDC_DISCOVERY)).toBe(1)
    expect(requestCount(log, OIDC_JWKS)).toBe(1)
  })

  it('throws ConfigError naming the issuer to configure (not InvalidTokenError) when discovery names another issuer', async () => {
    serveDiscovery({ issuer: 'https://login.example.org/tenant-b' })
    const token = await signWith((await signers).a, accessClaims({}, OIDC_ISSUER))
    const err = await rejection(issuerVerifier()(token))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe('issuer')
    expect((err as ConfigError).message).toContain('https://login.example.org/tenant-b')
    expect(err).not.toBeInstanceOf(InvalidTokenError)
  })

  it('after a failed discovery, answers with the same error without a request for 1 s, then discovers again', async () => {
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    let failing = true
    serveDiscovery()
    // Registered last, so msw asks it first; it falls through to the real document once up.
    server.use(http.get(OIDC_DISCOVERY, () => (failing ? new HttpResponse('down', { status: 500 }) : undefined)))
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, OIDC_ISSUER))
    const verify = issuerVerifier()
    await expect(verify(token)).rejects.toMatchObject({ status: 500 })
    failing = false
    await expect(verify(token)).rejects.toMatchObject({ status: 500 })
    expect(requestCount(log, OIDC_DISCOVERY)).toBe(1)
    vi.setSystemTime(start + 1_000)
    await expect(verify(token)).resolves.toMatchObject({ iss: OIDC_ISSUER })
    expect(requestCount(log, OIDC_DISCOVERY)).toBe(2)
  })

  it('refuses an http jwks_uri with a ConfigError', async () => {
    serveDiscovery({ jwks_uri: 'http://keys.example.org/tenant-a/oauth2/v1/keys' })
    const token = await signWith((await signers).a, accessClaims({}, OIDC_ISSUER))
    await expect(issuerVerifier()(token)).rejects.toBeInstanceOf(ConfigError)
  })
})

describe('createAccessTokenVerifier: the JWKS request', () => {
  it('throws ResponseError, not InvalidTokenError, when the JWKS endpoint answers something that is not JSON', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } })))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).toBeInstanceOf(ResponseError)
    expect(err).not.toBeInstanceOf(InvalidTokenError)
  })

  it('throws TimeoutError naming timeoutMs when the JWKS endpoint does not answer in time', async () => {
    const hanging = vi.fn((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    )
    const token = await validToken()
    const err = await rejection(domainVerifier({ fetch: hanging as typeof fetch, timeoutMs: 50 })(token))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).message).toContain('timeoutMs')
    expectNoTokenIn(err as TimeoutError, token)
  })

  it('times out a JWKS body that never ends, too', async () => {
    const stalled = vi.fn(async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"keys":[')) }), { status: 200 }))
    const err = await rejection(domainVerifier({ fetch: stalled as unknown as typeof fetch, timeoutMs: 50 })(await validToken()))
    expect(err).toBeInstanceOf(TimeoutError)
  })

  it('names the runtime error code in a NetworkError and keeps the error as its cause', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
    const failing = vi.fn(async () => {
      throw refused
    })
    const err = await rejection(domainVerifier({ fetch: failing as unknown as typeof fetch })(await validToken()))
    expect(err).toBeInstanceOf(NetworkError)
    expect((err as NetworkError).message).toBe(`Could not reach ${JWKS_URL} (ECONNREFUSED)`)
    expect((err as NetworkError).cause).toBe(refused)
    expect(failing).toHaveBeenCalledTimes(2) // tried once more after 100 ms
  })

  it('tries the JWKS request a second time after a 503, and verifies the token', async () => {
    const s = await signers
    let calls = 0
    server.use(http.get(JWKS_URL, () => (++calls === 1 ? new HttpResponse('busy', { status: 503 }) : HttpResponse.json({ keys: [s.a.jwk] }))))
    await expect(domainVerifier()(await validToken())).resolves.toMatchObject({ iss: ISSUER })
    expect(requestCount(log, JWKS_URL)).toBe(2)
  })

  it('does not try again after a 500, nor after a 503 whose Retry-After asks for more than 1 s', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('broken', { status: 500 })))
    await expect(domainVerifier()(await validToken())).rejects.toMatchObject({ status: 500 })
    expect(requestCount(log, JWKS_URL)).toBe(1)
    server.use(http.get(JWKS_URL, () => new HttpResponse('busy', { status: 503, headers: { 'retry-after': '30' } })))
    await expect(domainVerifier()(await validToken())).rejects.toMatchObject({ status: 503 })
    expect(requestCount(log, JWKS_URL)).toBe(2)
  })

  it('refuses a JWKS body over 1 MiB with ResponseError', async () => {
    const s = await signers
    const padding = 'x'.repeat(1024 * 1024)
    server.use(http.get(JWKS_URL, () => HttpResponse.json({ keys: [s.a.jwk], padding })))
    const err = await rejection(domainVerifier()(await validToken()))
    expect(err).toBeInstanceOf(ResponseError)
  })

  it('stops reading a JWKS body with no declared length once it passes 1 MiB', async () => {
    // An endless stream: only a reader that counts as it goes can refuse it.
    let pulled = 0
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    server.use(
      http.get(
        JWKS_URL,
        () =>
          new HttpResponse(
            new ReadableStream<Uint8Array>({
              pull(controller) {
                pulled += chunk.byteLength
                controller.enqueue(chunk)
              },
            }),
            { headers: { 'content-type': 'application/json' } },
          ),
      ),
    )
    const err = await rejection(domainVerifier()(await validToken()))
    expect(err).toBeInstanceOf(ResponseError)
    expect((err as Error).message).toContain('1 MiB')
    expect(pulled).toBeLessThan(4 * 1024 * 1024)
  })
})

describe('createAccessTokenVerifier: keys kept between verifications', () => {
  it('stops using a kept key once the key set is refetched with another key under the same kid', async () => {
    // The verifier keeps the imported key per token header; a refetched key set must replace it.
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const jwks: ServedKeys = { keys: [s.a.jwk] }
    serveJwks(jwks)
    const verify = domainVerifier()
    const before = await signWith(s.a)
    await verify(before)
    await verify(before) // now from the kept key

    // The issuer replaces key-a by another key that has the same kid (impostor has kid "key-a").
    jwks.keys = [s.impostor.jwk]
    vi.setSystemTime(start + 11 * 60_000)
    const after = await signWith(s.impostor, accessClaims({ jti: 'new-key' }))
    await expect(verify(after)).resolves.toMatchObject({ jti: 'new-key' })
    await expectInvalidToken(verify(before), before, /signature is invalid/)
    expect(requestCount(log, JWKS_URL)).toBe(2)
  })

  it('keeps a key per token header: tokens of two keys, alternating, each verify with their own key', async () => {
    await serveDefaultJwks()
    const s = await signers
    const verify = domainVerifier()
    for (let i = 0; i < 3; i++) {
      await expect(verify(await signWith(s.a, accessClaims({ jti: `a-${i}` })))).resolves.toMatchObject({ jti: `a-${i}` })
      await expect(verify(await signWith(s.b, accessClaims({ jti: `b-${i}` })))).resolves.toMatchObject({ jti: `b-${i}` })
    }
    // key-a's header with key-b's signature: the kept key-a does not accept it.
    const [header] = (await signWith(s.a)).split('.') as [string]
    const [, payload, signature] = (await signWith(s.b)).split('.') as [string, string, string]
    const forged = `${header}.${payload}.${signature}`
    await expectInvalidToken(verify(forged), forged, /signature is invalid/)
    expect(requestCount(log, JWKS_URL)).toBe(1)
  })

  it('picks the one key of the right type for a token without kid', async () => {
    const s = await signers
    const { kid: _ecKid, ...ecWithoutKid } = s.ec.jwk
    const { kid: _aKid, ...aWithoutKid } = s.a.jwk
    serveJwks({ keys: [ecWithoutKid, aWithoutKid] })
    const token = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).sign(s.a.privateKey)
    await expect(domainVerifier()(token)).resolves.toMatchObject({ iss: ISSUER })
    await expect(domainVerifier()(token)).resolves.toMatchObject({ iss: ISSUER })
  })

  it('refuses a token without kid when several keys of its type are published', async () => {
    await serveDefaultJwks()
    const s = await signers
    const token = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).sign(s.a.privateKey)
    await expectInvalidToken(domainVerifier()(token), token, /"kid"/)
  })

  it('does not hand the persisted jwksCache keys to jose to freeze', async () => {
    const s = await signers
    const jwksCache: JwksCache = { jwks: { keys: [{ ...s.a.jwk } as Record<string, unknown>] }, uat: Date.now() }
    await domainVerifier({ jwksCache })(await validToken())
    expect(Object.isFrozen(jwksCache.jwks!.keys[0])).toBe(false)
  })
})

describe('createAccessTokenVerifier: the jwksCache option', () => {
  it('makes no JWKS request when given a fresh pre-filled cache', async () => {
    const s = await signers
    const served = await serveDefaultJwks()
    const jwksCache: JwksCache = { jwks: { keys: served.keys as Record<string, unknown>[] }, uat: Date.now() }
    const verify = domainVerifier({ jwksCache })
    await expect(verify(await signWith(s.a))).resolves.toMatchObject({ iss: ISSUER })
    await expect(verify(await signWith(s.b))).resolves.toMatchObject({ iss: ISSUER })
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('fills an empty cache object with jwks and uat, which another verifier can then use (after JSON)', async () => {
    const s = await signers
    const served = await serveDefaultJwks()
    const jwksCache: JwksCache = {}
    const before = Date.now()
    await domainVerifier({ jwksCache })(await signWith(s.a))
    expect(requestCount(log, JWKS_URL)).toBe(1)
    expect(jwksCache.jwks).toEqual(served)
    expect(jwksCache.uat).toBeGreaterThanOrEqual(before)
    expect(jwksCache.uat).toBeLessThanOrEqual(Date.now())

    const persisted = JSON.parse(JSON.stringify(jwksCache)) as JwksCache
    await domainVerifier({ jwksCache: persisted })(await signWith(s.b))
    expect(requestCount(log, JWKS_URL)).toBe(1)
  })

  it('refetches when the cached keys are too old (uat over 10 minutes ago) and updates the cache', async () => {
    const s = await signers
    await serveDefaultJwks()
    const stale = Date.now() - 11 * 60_000
    const jwksCache: JwksCache = { jwks: { keys: [s.a.jwk as Record<string, unknown>] }, uat: stale }
    await domainVerifier({ jwksCache })(await signWith(s.b))
    expect(requestCount(log, JWKS_URL)).toBe(1)
    expect(jwksCache.uat).toBeGreaterThan(stale)
    expect(jwksCache.jwks?.keys.map((k) => k.kid)).toEqual(['key-a', 'key-b', 'key-ec'])
  })
})
