// Cookies without a cookie library: reading a Cookie header, writing Set-Cookie, and chunks under the browser's limit.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  clearChunkedCookie,
  joinCookie,
  parseCookieHeader,
  serializeChunkedCookie,
  serializeCookie,
  splitCookie,
} from '../../src/cookies/cookie.js'
import { openSession, sealSession, sealTransaction } from '../../src/cookies/seal.js'
import {
  SECRET,
  provoked,
  expectSealError,
  expectConfigError,
  expectNoSecretIn,
  newTransaction,
  largeTokens,
  browserCookieHeader,
} from '../helpers/seals.js'

// Each file checks the errors it provoked once its tests are done.
afterAll(() => expectNoSecretIn(provoked))

afterEach(() => {
  vi.useRealTimers()
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
