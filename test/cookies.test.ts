// Sealed cookies: transaction and session seals (JWE dir/A256GCM, HKDF keys, rotation, expiry),
// cookie parsing, writing and chunking, and the one-time transaction cookie helper.
import { CompactEncrypt, base64url, decodeProtectedHeader } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthorizationTransaction, createAuthorizationRequest } from '../src/login/authorization-request.js'
import {
  clearChunkedCookie,
  joinCookie,
  parseCookieHeader,
  serializeChunkedCookie,
  serializeCookie,
  splitCookie,
} from '../src/cookies/cookie.js'
import { openSession, openTransaction, sealSession, sealTransaction } from '../src/cookies/seal.js'
import { type ReplayStore, createTransactionCookie } from '../src/cookies/transaction-cookie.js'
import { AuthcodeError, ConfigError, SealError } from '../src/errors.js'
import type { TokenSet } from '../src/token-set.js'

const SECRET = 'secret-current-5c0f1e2d3a4b5c6d7e8f9a0b1c2d3e4f'
const OLD_SECRET = 'secret-previous-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d'
const OTHER_SECRET = 'secret-unrelated-ffeeddccbbaa99887766554433221100'
const SHORT_SECRET = 'secret-too-short-31-characters!' // 31 characters

const ACCESS_TOKEN = 'access-token-eyJhbGciOiJSUzI1NiJ9-AT-9c1e77'
const REFRESH_TOKEN = 'refresh-token-v1.MRjbz8Uw-RT-5512ab'
const ID_TOKEN = 'id-token-eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxMjMifQ.sig'

const config = { domain: 'tenant.eu.auth0.com', clientId: 'client-abc' }
const REDIRECT_URI = 'https://app.example.com/callback'

/** Every error the tests provoked, checked at the end for secrets and tokens. */
const provoked: unknown[] = []

/** Awaits fn and gives what it threw (recorded for the leak check); fails when it resolves. */
async function rejection(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    provoked.push(err)
    return err
  }
  throw new Error('expected the call to throw')
}

async function expectSealError(fn: () => unknown, reason: 'invalid' | 'expired' | 'replayed'): Promise<void> {
  const err = await rejection(fn)
  expect(err).toBeInstanceOf(SealError)
  expect(err).toMatchObject({ code: 'ERR_SEAL', reason })
}

async function expectConfigError(fn: () => unknown, field: string): Promise<void> {
  const err = await rejection(fn)
  expect(err).toBeInstanceOf(ConfigError)
  expect(err).toMatchObject({ code: 'ERR_CONFIG', field })
}

async function newTransaction(): Promise<AuthorizationTransaction> {
  return (await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, organization: 'org_123', maxAge: 3600 }))
    .transaction
}

const tokens: TokenSet = {
  accessToken: ACCESS_TOKEN,
  tokenType: 'Bearer',
  expiresAt: 1_900_000_000,
  refreshToken: REFRESH_TOKEN,
  idToken: ID_TOKEN,
  scope: 'openid profile email offline_access',
  claims: {
    iss: 'https://tenant.eu.auth0.com/',
    sub: 'auth0|123',
    aud: 'client-abc',
    exp: 1_900_000_000,
    iat: 1_899_996_400,
    nonce: 'n-0S6_WzA2Mj',
    name: 'Zoë Ångström 🙂',
    'https://example.com/roles': ['admin', 'editor'],
  },
}

/** A token set with three 1,500-character tokens: its seal is over one cookie's limit. */
function largeTokens(): TokenSet {
  const token = (label: string) => `${label}-${'x'.repeat(1500 - label.length - 1)}`
  return { ...tokens, accessToken: token('at'), refreshToken: token('rt'), idToken: token('it') }
}

/** What a browser would send back: `name=value` of each Set-Cookie that does not delete. */
function browserCookieHeader(setCookies: string[], jar = new Map<string, string>()): string {
  for (const header of setCookies) {
    const [pair = ''] = header.split('; ')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    if (/; Max-Age=0(;|$)/.test(header)) jar.delete(name)
    else jar.set(name, pair.slice(eq + 1))
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

/** A seeded PRNG (mulberry32), so a failing flip can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

afterEach(() => {
  vi.useRealTimers()
})

describe('sealTransaction / openTransaction', () => {
  it('round-trips a transaction from createAuthorizationRequest', async () => {
    const transaction = await newTransaction()
    const sealed = await sealTransaction(transaction, { secret: SECRET })
    expect(await openTransaction(sealed, { secret: SECRET })).toEqual(transaction)
  })

  it('is a compact JWE (dir, A256GCM) whose kid says nothing of the secret and whose contents are hidden', async () => {
    const transaction = await newTransaction()
    const sealed = await sealTransaction(transaction, { secret: SECRET })
    const parts = sealed.split('.')
    expect(parts).toHaveLength(5)
    expect(parts[1]).toBe('') // no encrypted key with "dir"
    const header = decodeProtectedHeader(sealed)
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: expect.stringMatching(/^[A-Za-z0-9_-]{8}$/) })
    for (const part of [SECRET, transaction.state, transaction.codeVerifier, transaction.nonce ?? 'nonce']) {
      expect(sealed).not.toContain(part)
    }
    // A fresh IV and jti each time.
    expect(await sealTransaction(transaction, { secret: SECRET })).not.toBe(sealed)
  })

  it('does not open a transaction seal as a session, nor a session seal as a transaction', async () => {
    const txSeal = await sealTransaction(await newTransaction(), { secret: SECRET })
    const sessionSeal = await sealSession(tokens, { secret: SECRET })
    await expectSealError(() => openSession(txSeal, { secret: SECRET }), 'invalid')
    await expectSealError(() => openTransaction(sessionSeal, { secret: SECRET }), 'invalid')
    // Different keys for the two purposes: the kids differ too.
    expect(decodeProtectedHeader(txSeal).kid).not.toBe(decodeProtectedHeader(sessionSeal).kid)
  })

  it('rejects a seal made with another secret as invalid', async () => {
    const sealed = await sealTransaction(await newTransaction(), { secret: OTHER_SECRET })
    await expectSealError(() => openTransaction(sealed, { secret: SECRET }), 'invalid')
  })

  it('rejects garbage, truncated and foreign JWEs as invalid', async () => {
    const sealed = await sealTransaction(await newTransaction(), { secret: SECRET })
    const randomKey = crypto.getRandomValues(new Uint8Array(32))
    const foreign = await new CompactEncrypt(new TextEncoder().encode('{"d":{},"exp":9999999999}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: decodeProtectedHeader(sealed).kid as string })
      .encrypt(randomKey)
    const inputs: unknown[] = [
      '',
      'not a seal',
      '....',
      'a.b.c.d.e',
      sealed.slice(0, -1),
      sealed.slice(1),
      `${sealed}A`,
      `${sealed}.`,
      ` ${sealed}`,
      sealed.replace('..', '.AAAA.'),
      sealed.split('.').slice(0, 3).join('.'),
      foreign,
      'x'.repeat(70_000),
      undefined,
      null,
      42,
      { sealed },
    ]
    for (const input of inputs) {
      await expectSealError(() => openTransaction(input as string, { secret: SECRET }), 'invalid')
    }
  })

  it('rejects every single-bit change of every character of a seal', async () => {
    const sealed = await sealTransaction(await newTransaction(), { secret: SECRET })
    const accepted: string[] = []
    let tried = 0
    for (let i = 0; i < sealed.length; i++) {
      const index = B64URL.indexOf(sealed[i] as string)
      // A "." becomes a base64url character; a base64url character gets each of its 6 bits flipped.
      const replacements = index < 0 ? ['A'] : [0, 1, 2, 3, 4, 5].map((bit) => B64URL[index ^ (1 << bit)] as string)
      for (const replacement of replacements) {
        const changed = sealed.slice(0, i) + replacement + sealed.slice(i + 1)
        tried++
        try {
          await openTransaction(changed, { secret: SECRET })
          accepted.push(`position ${i}: ${sealed[i]} -> ${replacement}`)
        } catch (err) {
          if (!(err instanceof SealError) || err.reason !== 'invalid') accepted.push(`position ${i}: threw ${String(err)}`)
        }
      }
    }
    expect(tried).toBeGreaterThan(sealed.length * 5)
    expect(accepted).toEqual([])
  })

  it('rejects 1,000 seeded random bit flips in the bytes of a session seal', async () => {
    const sealed = await sealSession(tokens, { secret: SECRET })
    const random = prng(0x5ea1)
    const accepted: string[] = []
    for (let n = 0; n < 1000; n++) {
      // Flip one bit of the decoded bytes of a random segment, then re-encode canonically.
      const parts = sealed.split('.')
      const segmentIndex = [0, 2, 3, 4][Math.floor(random() * 4)] as number
      const bytes = base64url.decode(parts[segmentIndex] as string)
      const byte = Math.floor(random() * bytes.length)
      const bit = Math.floor(random() * 8)
      bytes[byte] = (bytes[byte] as number) ^ (1 << bit)
      parts[segmentIndex] = base64url.encode(bytes)
      const changed = parts.join('.')
      try {
        await openSession(changed, { secret: SECRET })
        accepted.push(`segment ${segmentIndex} byte ${byte} bit ${bit}`)
      } catch (err) {
        if (!(err instanceof SealError) || err.reason !== 'invalid') accepted.push(`threw ${String(err)}`)
      }
    }
    expect(accepted).toEqual([])
  })

  it('rejects a transaction that is not one, before sealing', async () => {
    await expectConfigError(() => sealTransaction({ state: 's' } as AuthorizationTransaction, { secret: SECRET }), 'transaction')
  })
})

describe('sealSession / openSession', () => {
  it('round-trips a token set with its ID token claims', async () => {
    const sealed = await sealSession(tokens, { secret: SECRET })
    expect(await openSession(sealed, { secret: SECRET })).toEqual(tokens)
    expect(sealed).not.toContain(ACCESS_TOKEN)
  })

  it('rejects something that is not a token set, before sealing', async () => {
    await expectConfigError(() => sealSession({ accessToken: ACCESS_TOKEN } as TokenSet, { secret: SECRET }), 'tokens')
  })
})

describe('secret rotation', () => {
  it('seals with the first secret and opens with any of the list', async () => {
    const transaction = await newTransaction()
    const sealedWithBoth = await sealTransaction(transaction, { secret: [SECRET, OLD_SECRET] })
    const sealedWithOld = await sealTransaction(transaction, { secret: OLD_SECRET })
    expect(await openTransaction(sealedWithBoth, { secret: [SECRET, OLD_SECRET] })).toEqual(transaction)
    expect(await openTransaction(sealedWithOld, { secret: [SECRET, OLD_SECRET] })).toEqual(transaction)
    // The first secret sealed: the new secret alone opens it, the old one alone does not.
    expect(await openTransaction(sealedWithBoth, { secret: SECRET })).toEqual(transaction)
    await expectSealError(() => openTransaction(sealedWithBoth, { secret: OLD_SECRET }), 'invalid')
  })

  it('refuses a seal of a retired secret', async () => {
    const sealedWithOld = await sealSession(tokens, { secret: OLD_SECRET })
    await expectSealError(() => openSession(sealedWithOld, { secret: [SECRET] }), 'invalid')
  })

  it('opens a seal of the second secret of the list, found by its kid', async () => {
    const sealed = await sealSession(tokens, { secret: OLD_SECRET })
    expect(await openSession(sealed, { secret: [SECRET, OTHER_SECRET, OLD_SECRET] })).toEqual(tokens)
  })

  it('falls back to trying every key when the seal has no kid or an unknown one', async () => {
    // The documented derivation: HKDF-SHA-256(secret, salt "authcode.seal.v1", info "authcode.seal.v1 session").
    const encoder = new TextEncoder()
    const ikm = await crypto.subtle.importKey('raw', encoder.encode(OLD_SECRET), 'HKDF', false, ['deriveBits'])
    const key = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('authcode.seal.v1'), info: encoder.encode('authcode.seal.v1 session') },
        ikm,
        256,
      ),
    )
    const payload = encoder.encode(JSON.stringify({ d: tokens, exp: Math.floor(Date.now() / 1000) + 60 }))
    for (const header of [{ alg: 'dir', enc: 'A256GCM' }, { alg: 'dir', enc: 'A256GCM', kid: 'unknown0' }]) {
      const sealed = await new CompactEncrypt(payload).setProtectedHeader(header).encrypt(key)
      expect(await openSession(sealed, { secret: [SECRET, OLD_SECRET] })).toEqual(tokens)
      await expectSealError(() => openSession(sealed, { secret: SECRET }), 'invalid')
      await expectSealError(() => openTransaction(sealed, { secret: OLD_SECRET }), 'invalid')
    }
  })
})

describe('expiry', () => {
  it('opens until ttlSeconds have passed, then says expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'))
    const transaction = await newTransaction()
    const sealed = await sealTransaction(transaction, { secret: SECRET, ttlSeconds: 1 })
    vi.setSystemTime(new Date('2030-01-01T00:00:00.999Z'))
    expect(await openTransaction(sealed, { secret: SECRET })).toEqual(transaction)
    vi.setSystemTime(new Date('2030-01-01T00:00:01.000Z'))
    await expectSealError(() => openTransaction(sealed, { secret: SECRET }), 'expired')
  })

  it('defaults to 600 seconds for a transaction and 7 days for a session', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const start = new Date('2030-01-01T00:00:00.000Z').getTime()
    vi.setSystemTime(start)
    const txSeal = await sealTransaction(await newTransaction(), { secret: SECRET })
    const sessionSeal = await sealSession(tokens, { secret: SECRET })
    vi.setSystemTime(start + 599_999)
    await openTransaction(txSeal, { secret: SECRET })
    vi.setSystemTime(start + 600_000)
    await expectSealError(() => openTransaction(txSeal, { secret: SECRET }), 'expired')
    vi.setSystemTime(start + 7 * 86_400_000 - 1)
    expect(await openSession(sessionSeal, { secret: SECRET })).toEqual(tokens)
    vi.setSystemTime(start + 7 * 86_400_000)
    await expectSealError(() => openSession(sessionSeal, { secret: SECRET }), 'expired')
  })

  it('says invalid, not expired, for a changed seal whose time is up', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'))
    const sealed = await sealSession(tokens, { secret: SECRET, ttlSeconds: 1 })
    vi.setSystemTime(new Date('2030-01-02T00:00:00.000Z'))
    const parts = sealed.split('.')
    parts[3] = `${(parts[3] as string).startsWith('A') ? 'B' : 'A'}${(parts[3] as string).slice(1)}`
    await expectSealError(() => openSession(parts.join('.'), { secret: SECRET }), 'invalid')
    await expectSealError(() => openSession(sealed, { secret: SECRET }), 'expired')
  })

  it('refuses a ttl that is not a positive number', async () => {
    for (const ttlSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60' as unknown as number]) {
      await expectConfigError(() => sealSession(tokens, { secret: SECRET, ttlSeconds }), 'ttlSeconds')
    }
  })
})

describe('secrets', () => {
  it('refuses a secret shorter than 32 characters everywhere, without echoing it', async () => {
    const transaction = await newTransaction()
    const sealed = await sealTransaction(transaction, { secret: SECRET })
    await expectConfigError(() => sealTransaction(transaction, { secret: SHORT_SECRET }), 'secret')
    await expectConfigError(() => sealSession(tokens, { secret: [SECRET, SHORT_SECRET] }), 'secret')
    await expectConfigError(() => openTransaction(sealed, { secret: SHORT_SECRET }), 'secret')
    await expectConfigError(() => openSession(sealed, { secret: [] }), 'secret')
    await expectConfigError(() => createTransactionCookie({ secret: SHORT_SECRET }), 'secret')
    await expectConfigError(() => sealSession(tokens, { secret: undefined as unknown as string }), 'secret')
    // Exactly 32 characters is enough.
    const sealed32 = await sealSession(tokens, { secret: `${SHORT_SECRET}x` })
    expect(await openSession(sealed32, { secret: `${SHORT_SECRET}x` })).toEqual(tokens)
  })
})

describe('parseCookieHeader / serializeCookie', () => {
  it('reads a Cookie header: trims, unquotes, percent-decodes, first name wins, skips junk', () => {
    expect(parseCookieHeader('a=1; b = two ;c="quoted"; d=x%3By%20z; a=shadowed; junk; =nameless; e=')).toEqual({
      a: '1',
      b: 'two',
      c: 'quoted',
      d: 'x;y z',
      e: '',
    })
    expect(parseCookieHeader(null)).toEqual({})
    expect(parseCookieHeader('')).toEqual({})
    expect(parseCookieHeader('bad=%E0%A4%A')).toEqual({ bad: '%E0%A4%A' })
    // No prototype pollution through a cookie name.
    const parsed = parseCookieHeader('__proto__=x; constructor=y')
    expect(parsed.__proto__).toBe('x')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('writes HttpOnly, Secure, SameSite=Lax and Path=/ by default', () => {
    expect(serializeCookie('authcode.tx', 'abc.DEF-_')).toBe('authcode.tx=abc.DEF-_; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(serializeCookie('s', 'v', { maxAge: 600.7, path: '/auth', domain: 'example.com', sameSite: 'Strict' })).toBe(
      's=v; Max-Age=600; Domain=example.com; Path=/auth; HttpOnly; Secure; SameSite=Strict',
    )
    expect(serializeCookie('s', '', { maxAge: 0, secure: false, httpOnly: false })).toBe('s=; Max-Age=0; Path=/; SameSite=Lax')
  })

  it('percent-encodes a value that needs it, and parseCookieHeader gives it back', () => {
    const value = 'a;b c,"d"\\é🙂'
    const header = serializeCookie('pref', value)
    expect(header.split('; ')[0]).toMatch(/^pref=[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/)
    expect(parseCookieHeader(header.split('; ')[0])).toEqual({ pref: value })
  })

  it('refuses bad names and attributes with a ConfigError naming the field', async () => {
    await expectConfigError(() => serializeCookie('bad name', 'v'), 'name')
    await expectConfigError(() => serializeCookie('', 'v'), 'name')
    await expectConfigError(() => serializeCookie('a;b', 'v'), 'name')
    await expectConfigError(() => serializeCookie('s', '\ud800'), 'value')
    await expectConfigError(() => serializeCookie('s', 'v', { path: '/a;b' }), 'path')
    await expectConfigError(() => serializeCookie('s', 'v', { path: 'relative' }), 'path')
    await expectConfigError(() => serializeCookie('s', 'v', { domain: 'a.com; Secure' }), 'domain')
    await expectConfigError(() => serializeCookie('s', 'v', { maxAge: -1 }), 'maxAge')
    await expectConfigError(() => serializeCookie('s', 'v', { sameSite: 'lax' as 'Lax' }), 'sameSite')
    await expectConfigError(() => serializeCookie('s', 'v', { sameSite: 'None', secure: false }), 'sameSite')
    await expectConfigError(() => serializeCookie('__Host-s', 'v', { domain: 'example.com' }), 'path')
    await expectConfigError(() => serializeCookie('__Host-s', 'v', { path: '/x' }), 'path')
    await expectConfigError(() => serializeCookie('__Secure-s', 'v', { secure: false }), 'secure')
    expect(serializeCookie('__Host-s', 'v')).toBe('__Host-s=v; Path=/; HttpOnly; Secure; SameSite=Lax')
  })
})

describe('splitCookie / joinCookie', () => {
  it('keeps a value that fits as one cookie named name', async () => {
    const sealed = await sealTransaction(await newTransaction(), { secret: SECRET })
    expect(splitCookie('authcode.tx', sealed)).toEqual([{ name: 'authcode.tx', value: sealed }])
    expect(joinCookie('authcode.tx', `other=1; authcode.tx=${sealed}`)).toBe(sealed)
    expect(joinCookie('authcode.tx', { 'authcode.tx': sealed })).toBe(sealed)
  })

  it('splits the session seal of a large token set into chunks well under 4,096 bytes, and joins it back', async () => {
    const big = largeTokens()
    const sealed = await sealSession(big, { secret: SECRET })
    expect(sealed.length).toBeGreaterThan(4096)
    const chunks = splitCookie('authcode.session', sealed)
    expect(chunks.length).toBeGreaterThanOrEqual(2)
    expect(chunks.map((c) => c.name)).toEqual(chunks.map((_, i) => `authcode.session.${i}`))
    const headers = chunks.map((c) =>
      serializeCookie(c.name, c.value, { maxAge: 604_800, domain: 'app.example.com', path: '/' }),
    )
    for (const header of headers) {
      expect(new TextEncoder().encode(header).length).toBeLessThan(3700)
    }
    const cookieHeader = browserCookieHeader(headers)
    const joined = joinCookie('authcode.session', cookieHeader)
    expect(joined).toBe(sealed)
    expect(await openSession(joined as string, { secret: SECRET })).toEqual(big)
    // Also from a framework's record of cookies.
    expect(joinCookie('authcode.session', Object.fromEntries(chunks.map((c) => [c.name, c.value])))).toBe(sealed)
  })

  it('keeps every chunk within maxChunkBytes and never cuts a character in two', () => {
    const value = 'é🙂;abc '.repeat(200)
    for (const maxChunkBytes of [40, 97, 500]) {
      const chunks = splitCookie('pref', value, { maxChunkBytes })
      expect(chunks.length).toBeGreaterThan(1)
      const headers = chunks.map((c) => serializeCookie(c.name, c.value))
      for (const header of headers) {
        expect((header.split('; ')[0] as string).length).toBeLessThanOrEqual(maxChunkBytes)
      }
      expect(joinCookie('pref', browserCookieHeader(headers))).toBe(value)
    }
  })

  it('gives undefined when the cookie is absent or empty', () => {
    expect(joinCookie('authcode.tx', 'other=1')).toBeUndefined()
    expect(joinCookie('authcode.tx', null)).toBeUndefined()
    expect(joinCookie('authcode.tx', {})).toBeUndefined()
    expect(joinCookie('authcode.tx', 'authcode.tx=')).toBeUndefined()
    expect(joinCookie('constructor', {})).toBeUndefined()
  })

  it('throws SealError invalid when a chunk is missing or the first chunk is malformed', async () => {
    const chunks = splitCookie('s', 'v'.repeat(1000), { maxChunkBytes: 300 })
    expect(chunks.length).toBe(4)
    const record = Object.fromEntries(chunks.map((c) => [c.name, c.value]))
    for (const missing of ['s.1', 's.3', 's.0']) {
      const { [missing]: _dropped, ...rest } = record
      await expectSealError(() => joinCookie('s', rest), 'invalid')
    }
    await expectSealError(() => joinCookie('s', { ...record, 's.0': 'no-count-prefix' }), 'invalid')
  })

  it('ignores leftover chunks of a longer earlier value', () => {
    const long = splitCookie('s', 'L'.repeat(1000), { maxChunkBytes: 300 })
    const short = splitCookie('s', 'S'.repeat(500), { maxChunkBytes: 300 })
    expect(long.length).toBeGreaterThan(short.length)
    const header = browserCookieHeader([...long, ...short].map((c) => serializeCookie(c.name, c.value)))
    expect(joinCookie('s', header)).toBe('S'.repeat(500))
  })

  it('serializeChunkedCookie deletes the other form, so a shrinking or growing value reads back right', () => {
    const jar = new Map<string, string>()
    const big = 'B'.repeat(1000)
    const small = 'small'
    let header = browserCookieHeader(serializeChunkedCookie('s', big, { maxChunkBytes: 300 }), jar)
    expect(joinCookie('s', header)).toBe(big)
    const setSmall = serializeChunkedCookie('s', small, { maxChunkBytes: 300 })
    expect(setSmall).toEqual(['s=small; Path=/; HttpOnly; Secure; SameSite=Lax', 's.0=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax'])
    header = browserCookieHeader(setSmall, jar)
    expect(joinCookie('s', header)).toBe(small)
    header = browserCookieHeader(serializeChunkedCookie('s', big, { maxChunkBytes: 300 }), jar)
    expect(header).not.toMatch(/(^|; )s=/)
    expect(joinCookie('s', header)).toBe(big)
  })

  it('clearChunkedCookie deletes the cookie and every chunk the request carries', () => {
    const header = browserCookieHeader(serializeChunkedCookie('s', 'v'.repeat(1000), { maxChunkBytes: 300 }))
    expect(clearChunkedCookie('s', `${header}; s2.0=other; other=1`, { path: '/' })).toEqual([
      's=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      's.0=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      's.1=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      's.2=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      's.3=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    ])
  })
})

describe('createTransactionCookie', () => {
  it('sets a sealed cookie that take opens once; the second take is a replay', async () => {
    const txCookie = createTransactionCookie({ secret: SECRET })
    const transaction = await newTransaction()
    const setCookie = await txCookie.set(transaction)
    expect(setCookie[0]).toMatch(/^authcode\.tx=[\w-]+(\.[\w-]*){4}; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
    const cookieHeader = browserCookieHeader(setCookie)

    const taken = await txCookie.take(cookieHeader)
    expect(taken.transaction).toEqual(transaction)
    expect(taken.setCookie).toEqual(['authcode.tx=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax'])

    await expectSealError(() => txCookie.take(cookieHeader), 'replayed')
  })

  it('chunks a transaction when asked to, and take clears every chunk', async () => {
    const txCookie = createTransactionCookie({ secret: SECRET, maxChunkBytes: 200, secure: false, path: '/auth' })
    const transaction = await newTransaction()
    const setCookie = await txCookie.set(transaction)
    const chunkHeaders = setCookie.filter((h) => !h.includes('Max-Age=0'))
    expect(chunkHeaders.length).toBeGreaterThan(2)
    for (const h of chunkHeaders) expect(h).toMatch(/^authcode\.tx\.\d+=[^;]+; Max-Age=600; Path=\/auth; HttpOnly; SameSite=Lax$/)

    const taken = await txCookie.take(`theme=dark; ${browserCookieHeader(setCookie)}`)
    expect(taken.transaction).toEqual(transaction)
    const cleared = taken.setCookie.map((h) => h.split('=')[0])
    expect(cleared).toEqual(['authcode.tx', ...chunkHeaders.map((h) => h.split('=')[0])])
    for (const h of taken.setCookie) expect(h).toMatch(/=; Max-Age=0; Path=\/auth; HttpOnly; SameSite=Lax$/)
  })

  it('allows only one of two concurrent takes of the same seal', async () => {
    const txCookie = createTransactionCookie({ secret: SECRET })
    const cookieHeader = browserCookieHeader(await txCookie.set(await newTransaction()))
    const results = await Promise.allSettled([txCookie.take(cookieHeader), txCookie.take(cookieHeader)])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    provoked.push(rejected.reason)
    expect(rejected.reason).toMatchObject({ code: 'ERR_SEAL', reason: 'replayed' })
  })

  it('takes two different logins of the same browser independently', async () => {
    const txCookie = createTransactionCookie({ secret: SECRET })
    const first = browserCookieHeader(await txCookie.set(await newTransaction()))
    const second = browserCookieHeader(await txCookie.set(await newTransaction()))
    await txCookie.take(first)
    await expect(txCookie.take(second)).resolves.toBeDefined()
  })

  it('says invalid when no cookie came, and clear() still gives the deleting header', async () => {
    const txCookie = createTransactionCookie({ secret: SECRET, name: '__Host-tx' })
    await expectSealError(() => txCookie.take(null), 'invalid')
    await expectSealError(() => txCookie.take('other=1'), 'invalid')
    await expectSealError(() => txCookie.take('__Host-tx=garbage'), 'invalid')
    expect(txCookie.clear(null)).toEqual(['__Host-tx=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax'])
  })

  it('says expired after ttlSeconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'))
    const txCookie = createTransactionCookie({ secret: SECRET, ttlSeconds: 1 })
    const setCookie = await txCookie.set(await newTransaction())
    expect(setCookie[0]).toContain('; Max-Age=1;')
    vi.setSystemTime(new Date('2030-01-01T00:00:01.000Z'))
    await expectSealError(() => txCookie.take(browserCookieHeader(setCookie)), 'expired')
  })

  it('opens a seal of a rotated-out-but-listed secret, and refuses one of a retired secret', async () => {
    const before = createTransactionCookie({ secret: OLD_SECRET })
    const during = createTransactionCookie({ secret: [SECRET, OLD_SECRET] })
    const after = createTransactionCookie({ secret: SECRET })
    const transaction = await newTransaction()
    expect((await during.take(browserCookieHeader(await before.set(transaction)))).transaction).toEqual(transaction)
    await expectSealError(async () => after.take(browserCookieHeader(await before.set(transaction))), 'invalid')
  })

  it('uses a pluggable replayStore shared by several instances', async () => {
    const consumed = new Map<string, number>()
    const calls: Array<[string, number]> = []
    const replayStore: ReplayStore = {
      async consume(jti, expiresAt) {
        calls.push([jti, expiresAt])
        if (consumed.has(jti)) return false
        consumed.set(jti, expiresAt)
        return true
      },
    }
    const instanceA = createTransactionCookie({ secret: SECRET, replayStore })
    const instanceB = createTransactionCookie({ secret: SECRET, replayStore })
    const before = Math.floor(Date.now() / 1000)
    const cookieHeader = browserCookieHeader(await instanceA.set(await newTransaction()))
    await instanceA.take(cookieHeader)
    await expectSealError(() => instanceB.take(cookieHeader), 'replayed')
    expect(calls).toHaveLength(2)
    const [jti, expiresAt] = calls[0] as [string, number]
    expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(calls[1]).toEqual([jti, expiresAt])
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600)
    expect(expiresAt).toBeLessThanOrEqual(before + 602)
  })

  it('does not consume the jti of a seal it cannot open', async () => {
    const calls: string[] = []
    const replayStore: ReplayStore = {
      async consume(jti) {
        calls.push(jti)
        return true
      },
    }
    const txCookie = createTransactionCookie({ secret: SECRET, replayStore })
    const foreign = createTransactionCookie({ secret: OTHER_SECRET })
    await expectSealError(async () => txCookie.take(browserCookieHeader(await foreign.set(await newTransaction()))), 'invalid')
    expect(calls).toEqual([])
  })

  it('refuses bad options at creation', async () => {
    await expectConfigError(() => createTransactionCookie({ secret: SECRET, name: 'bad name' }), 'name')
    await expectConfigError(() => createTransactionCookie({ secret: SECRET, ttlSeconds: 0 }), 'ttlSeconds')
    await expectConfigError(() => createTransactionCookie({ secret: SECRET, sameSite: 'None', secure: false }), 'sameSite')
    await expectConfigError(
      () => createTransactionCookie({ secret: SECRET, replayStore: {} as ReplayStore }),
      'replayStore',
    )
  })
})

describe('error messages', () => {
  it('never contain a secret or a token', () => {
    expect(provoked.length).toBeGreaterThan(50)
    const forbidden = [SECRET, OLD_SECRET, OTHER_SECRET, SHORT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN]
    for (const err of provoked) {
      expect(err).toBeInstanceOf(AuthcodeError)
      const text = [String(err), JSON.stringify(err), (err as Error).stack ?? '', String((err as Error).cause ?? '')].join('\n')
      for (const value of forbidden) expect(text).not.toContain(value)
      // No seal (or chunk of one) either: they are long base64url runs.
      expect(text).not.toMatch(/[A-Za-z0-9_-]{60,}/)
    }
  })
})
