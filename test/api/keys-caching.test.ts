// The JWKS cache of authcode/api: one request for many verifications, refetch cooldown, backoff while the endpoint fails, stale keys.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { InvalidTokenError, NetworkError, ResponseError } from 'authcode/api'
import { HttpResponse, http, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now, flipSignature } from '../helpers/signers.js'
import {
  ISSUER,
  JWKS_URL,
  signers,
  accessClaims,
  signWith,
  validToken,
  type ServedKeys,
  serveJwks,
  serveDefaultJwks,
  requestCount,
  domainVerifier,
} from '../helpers/api-tenant.js'
import { expectNoTokenIn, expectInvalidToken } from '../helpers/invalid-token.js'

const log = useMockServer()

afterEach(() => {
  vi.useRealTimers()
})

describe('createAccessTokenVerifier: JWKS caching', () => {
  it('makes exactly one JWKS request for 100 concurrent verifications on a cold verifier, then none', async () => {
    await serveDefaultJwks()
    const verify = domainVerifier()
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => validToken({ jti: `t-${i}` })))
    const results = await Promise.all(tokens.map((t) => verify(t)))
    expect(results.map((c) => c.jti)).toEqual(tokens.map((_, i) => `t-${i}`))
    expect(requestCount(log, JWKS_URL)).toBe(1)

    for (let i = 0; i < 5; i++) await verify(await validToken())
    await verify(await signWith((await signers).b))
    expect(requestCount(log, JWKS_URL)).toBe(1)
  })

  it('gives each verifier its own key cache', async () => {
    await serveDefaultJwks()
    const token = await validToken()
    await domainVerifier()(token)
    await domainVerifier()(token)
    expect(requestCount(log, JWKS_URL)).toBe(2)
  })

  it('picks up a rotated key without a new verifier, after the 30 s refetch cooldown', async () => {
    // The key cache (src/api/keys.ts, as jose's remote key sets) refetches the JWKS for an
    // unknown kid only when the last fetch is over 30 s old, so the clock is moved with a fake
    // Date; timers stay real so msw and the request timeouts work as usual.
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const jwks: ServedKeys = { keys: [s.a.jwk] }
    serveJwks(jwks)
    const verify = domainVerifier()
    await verify(await signWith(s.a))
    expect(requestCount(log, JWKS_URL)).toBe(1)

    // The tenant rotates: key B is published and new tokens are signed with it.
    jwks.keys = [s.a.jwk, s.b.jwk]
    const rotated = await signWith(s.b)
    // Within the cooldown an unknown kid is refused without hammering the JWKS endpoint.
    await expectInvalidToken(verify(rotated), rotated, /"kid"/)
    expect(requestCount(log, JWKS_URL)).toBe(1)

    vi.setSystemTime(start + 31_000)
    const claims = await verify(await signWith(s.b, accessClaims({ jti: 'after-rotation' })))
    expect(claims.jti).toBe('after-rotation')
    expect(requestCount(log, JWKS_URL)).toBe(2)

    // Both keys are now cached: no further requests.
    await verify(await signWith(s.a))
    await verify(await signWith(s.b))
    expect(requestCount(log, JWKS_URL)).toBe(2)
  })

  it('refetches the JWKS when the cache is over 10 minutes old', async () => {
    await serveDefaultJwks()
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const verify = domainVerifier()
    await verify(await validToken())
    vi.setSystemTime(start + 11 * 60_000)
    await verify(await validToken())
    expect(requestCount(log, JWKS_URL)).toBe(2)
  })

  // jose answers a non-200 JWKS response with a plain JOSEError; an issuer outage must still be a 503
  // (try again), not a 401 that logs the user out.
  it('throws ResponseError or NetworkError, not InvalidTokenError, when the JWKS endpoint answers 500', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('internal error', { status: 500 })))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).not.toBeInstanceOf(InvalidTokenError)
    expect(err instanceof ResponseError || err instanceof NetworkError).toBe(true)
  })

  it('throws NetworkError, not InvalidTokenError, when the JWKS endpoint cannot be reached', async () => {
    server.use(http.get(JWKS_URL, () => HttpResponse.error()))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).toBeInstanceOf(NetworkError)
    expect(err).not.toBeInstanceOf(InvalidTokenError)
    expectNoTokenIn(err as NetworkError, token)
  })

  it('throws ResponseError when the JWKS endpoint answers something that is not a key set', async () => {
    server.use(http.get(JWKS_URL, () => HttpResponse.json({ hello: 'world' })))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).toBeInstanceOf(ResponseError)
  })

  it('after a failed JWKS fetch, answers with the same kind of error and no request for 1 s, then fetches again and recovers', async () => {
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    let up = false
    server.use(http.get(JWKS_URL, () => (up ? HttpResponse.json({ keys: [s.a.jwk] }) : HttpResponse.error())))
    const verify = domainVerifier()
    const token = await validToken()
    await expect(verify(token)).rejects.toBeInstanceOf(NetworkError)
    const attempts = requestCount(log, JWKS_URL) // the fetch tries a network failure twice
    up = true
    // Within the backoff: the outage's error (an API answers 503), not a 401, and no request.
    for (let i = 0; i < 20; i++) {
      const err = await rejection(verify(token))
      expect(err).toBeInstanceOf(NetworkError)
      expect(err).not.toBeInstanceOf(InvalidTokenError)
    }
    vi.setSystemTime(start + 999)
    await expect(verify(token)).rejects.toBeInstanceOf(NetworkError)
    expect(requestCount(log, JWKS_URL)).toBe(attempts)
    vi.setSystemTime(start + 1_000)
    await expect(verify(token)).resolves.toMatchObject({ iss: ISSUER })
    expect(requestCount(log, JWKS_URL)).toBe(attempts + 1)
  })

  it('backs off 1 s, 2 s, 4 s … up to 30 s while the JWKS endpoint keeps failing, and starts again at 1 s after a success', async () => {
    const s = await signers
    let t = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: t })
    let up = false
    server.use(http.get(JWKS_URL, () => (up ? HttpResponse.json({ keys: [s.a.jwk] }) : new HttpResponse('broken', { status: 500 }))))
    const verify = domainVerifier()
    const token = await validToken()
    const waits: number[] = []
    for (let failures = 0; failures < 8; failures++) {
      // Find the wait (in whole seconds) after which the next request is made.
      const before = requestCount(log, JWKS_URL)
      let waited = 0
      while (requestCount(log, JWKS_URL) === before) {
        await expect(verify(token)).rejects.toMatchObject({ status: 500 })
        if (requestCount(log, JWKS_URL) === before) {
          waited += 1
          vi.setSystemTime((t += 1_000))
        }
      }
      waits.push(waited)
    }
    expect(waits).toEqual([0, 1, 2, 4, 8, 16, 30, 30])
    up = true
    vi.setSystemTime((t += 30_000))
    await expect(verify(token)).resolves.toMatchObject({ iss: ISSUER })
    // A key set fetched and fresh: the next failure (a refetch for an unknown kid) backs off 1 s again.
    vi.setSystemTime((t += 31_000))
    up = false
    const unknown = await signWith((await signers).unpublished)
    await expect(verify(unknown)).rejects.toMatchObject({ status: 500 })
    const count = requestCount(log, JWKS_URL)
    vi.setSystemTime((t += 1_000))
    await expect(verify(unknown)).rejects.toMatchObject({ status: 500 })
    expect(requestCount(log, JWKS_URL)).toBe(count + 1)
  })

  it('makes one JWKS request for a flood of tokens with unknown kids while the endpoint is down', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('broken', { status: 500 })))
    const verify = domainVerifier()
    const s = await signers
    const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => signWith(s.unpublished, accessClaims(), { kid: `forged-${i}` })))
    for (const token of forged) {
      const err = await rejection(verify(token))
      expect(err).toBeInstanceOf(ResponseError)
    }
    expect(requestCount(log, JWKS_URL)).toBe(1)
  })

  it('keeps verifying tokens of known keys with the stale key set while a refetch fails, for up to an hour', async () => {
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    let up = true
    server.use(http.get(JWKS_URL, () => (up ? HttpResponse.json({ keys: [s.a.jwk] }) : new HttpResponse('broken', { status: 500 }))))
    const verify = domainVerifier()
    await verify(await validToken())
    up = false
    vi.setSystemTime(start + 11 * 60_000)
    // Stale (over 10 minutes): a refetch is tried, fails, and the known key still verifies.
    await expect(verify(await validToken({ jti: 'stale-1' }))).resolves.toMatchObject({ jti: 'stale-1' })
    expect(requestCount(log, JWKS_URL)).toBe(2)
    // During the backoff no request; the stale key still verifies, and a bad signature is still a 401.
    const token = await validToken({ jti: 'stale-2' })
    await expect(verify(token)).resolves.toMatchObject({ jti: 'stale-2' })
    await expectInvalidToken(verify(flipSignature(token)), token, /signature is invalid/)
    expect(requestCount(log, JWKS_URL)).toBe(2)
    // An unknown kid cannot be told apart from a rotated key while the endpoint is down: an outage error.
    const unknown = await signWith(s.b)
    await expect(verify(unknown)).rejects.toBeInstanceOf(ResponseError)

    vi.setSystemTime(start + 60 * 60_000 - 1)
    await expect(verify(await validToken())).resolves.toMatchObject({ iss: ISSUER })
    vi.setSystemTime(start + 60 * 60_000 + 31_000)
    await expect(verify(await validToken())).rejects.toBeInstanceOf(ResponseError)

    up = true
    vi.setSystemTime(start + 62 * 60_000)
    await expect(verify(await validToken({ jti: 'back' }))).resolves.toMatchObject({ jti: 'back' })
  })
})
