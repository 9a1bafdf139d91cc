// DPoP proofs on the resource-server side: the iat window (RFC 9449 §11.1, §11.2) and the jti replay memory.
// checkDpopProof and jtiCache are internal; they are tested here directly so the memory can be small.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import { InvalidTokenError } from 'authcode/api'
import { checkDpopProof, jtiCache } from '../../src/api/dpop.js'

const URL_ = 'https://api.example.com/contacts'
const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl'
// A whole second, so that Date.now() / 1000 has no fraction to round.
const START = Date.UTC(2030, 0, 1, 12, 0, 0)
const MAX_AGE = 300
const TOLERANCE = 5

const proofKey = (async () => {
  const pair = await generateKeyPair('ES256')
  const jwk: JWK = await exportJWK(pair.publicKey)
  return { ...pair, jwk, jkt: await calculateJwkThumbprint(jwk) }
})()

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: START })
})
afterEach(() => {
  vi.useRealTimers()
})

function now(): number {
  return Math.floor(Date.now() / 1000)
}

async function proof(claims: Record<string, unknown> = {}): Promise<string> {
  const k = await proofKey
  const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ACCESS_TOKEN))).toString('base64url')
  return new SignJWT({ htm: 'GET', htu: URL_, iat: now(), jti: crypto.randomUUID(), ath, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: k.jwk })
    .sign(k.privateKey)
}

async function check(p: string, seen?: ReturnType<typeof jtiCache>): Promise<void> {
  const { jkt } = await proofKey
  await checkDpopProof({ proof: p, method: 'GET', url: URL_ }, ACCESS_TOKEN, jkt, {
    maxAgeSeconds: MAX_AGE,
    clockToleranceSeconds: TOLERANCE,
    ...(seen && { seen }),
  })
}

/** The proof is refused with invalid_dpop_proof; returns the message. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(outcome).toBeInstanceOf(InvalidTokenError)
  expect((outcome as InvalidTokenError).error).toBe('invalid_dpop_proof')
  return (outcome as InvalidTokenError).message
}

describe('DPoP proof iat window', () => {
  it('accepts a proof issued up to clockToleranceSeconds in the future, and refuses one a second further', async () => {
    await expect(check(await proof({ iat: now() + TOLERANCE }))).resolves.toBeUndefined()
    expect(await refusal(check(await proof({ iat: now() + TOLERANCE + 1 })))).toMatch(/future/)
    // Not the whole max age into the future, as a symmetric window would allow.
    expect(await refusal(check(await proof({ iat: now() + MAX_AGE })))).toMatch(/future/)
  })

  it('accepts a proof issued maxAge + tolerance ago, and refuses one a second older', async () => {
    await expect(check(await proof({ iat: now() - MAX_AGE - TOLERANCE }))).resolves.toBeUndefined()
    expect(await refusal(check(await proof({ iat: now() - MAX_AGE - TOLERANCE - 1 })))).toMatch(/too old/)
  })

  it('remembers a jti until iat + maxAge + tolerance: a replay in the last accepted second is refused', async () => {
    const seen = jtiCache()
    const p = await proof()
    await check(p, seen)
    vi.setSystemTime(START + (MAX_AGE + TOLERANCE) * 1000)
    expect(await refusal(check(p, seen))).toMatch(/replay/)
    vi.setSystemTime(START + (MAX_AGE + TOLERANCE + 1) * 1000)
    expect(await refusal(check(p, seen))).toMatch(/too old/)
  })

  it('remembers the jti of a proof from the future for its whole window', async () => {
    const seen = jtiCache()
    const p = await proof({ iat: now() + TOLERANCE })
    await check(p, seen)
    vi.setSystemTime(START + (MAX_AGE + 2 * TOLERANCE) * 1000)
    expect(await refusal(check(p, seen))).toMatch(/replay/)
  })
})

describe('DPoP jti memory when full', () => {
  it('refuses new proofs rather than forget a live jti, so a captured proof stays refused; forgets jtis once their window has passed', async () => {
    const seen = jtiCache(3)
    const captured = await proof()
    await check(captured, seen)
    // An attacker with the bound token floods the memory with proofs of their own.
    await check(await proof(), seen)
    vi.setSystemTime(START + 10_000)
    await check(await proof(), seen)

    expect(await refusal(check(captured, seen))).toMatch(/replay/)
    const fresh = await proof()
    expect(await refusal(check(fresh, seen))).toMatch(/too many DPoP proofs.*retry later/i)
    expect(await refusal(check(captured, seen))).toMatch(/replay/)

    // The first two proofs' windows end at START + 305 s; the third's at START + 315 s.
    vi.setSystemTime(START + (MAX_AGE + TOLERANCE + 1) * 1000)
    await expect(check(fresh, seen)).resolves.toBeUndefined()
    await expect(check(await proof(), seen)).resolves.toBeUndefined()
    expect(await refusal(check(await proof(), seen))).toMatch(/too many/)
    expect(await refusal(check(fresh, seen))).toMatch(/replay/)
    // The captured proof is now past its window: refused as too old, whether remembered or not.
    expect(await refusal(check(captured, seen))).toMatch(/too old/)
  })

  it('frees the room of expired entries inserted behind a live one (out of expiry order)', () => {
    const seen = jtiCache(3)
    const t = now()
    expect(seen('a', t + 300)).toBe('fresh')
    expect(seen('b', t + 10)).toBe('fresh')
    expect(seen('c', t + 10)).toBe('fresh')
    expect(seen('d', t + 300)).toBe('full')
    vi.setSystemTime(START + 11_000)
    // "a" is live and first in insertion order; "b" and "c" have expired behind it.
    expect(seen('d', t + 300)).toBe('fresh')
    expect(seen('e', t + 300)).toBe('fresh')
    expect(seen('f', t + 300)).toBe('full')
    expect(seen('a', t + 300)).toBe('replayed')
  })

  it('keeps a full memory of 10 000 live jtis cheap to consult', () => {
    const seen = jtiCache()
    const t = now()
    for (let i = 0; i < 10_000; i++) expect(seen(`jti-${i}`, t + 300 + Math.floor(i / 1000))).toBe('fresh')
    const started = performance.now()
    for (let i = 0; i < 10_000; i++) seen(`flood-${i}`, t + 400)
    // A full scan of the memory per refused proof would be 10^8 steps; a quick sweep is a few per call.
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(seen('jti-0', t + 300)).toBe('replayed')
    expect(seen('flood-0', t + 400)).toBe('full')
  })
})
