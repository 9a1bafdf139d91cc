// Sealed values (JWE dir/A256GCM, HKDF keys: tampering, secret rotation, expiry) and the one-time transaction cookie
// built on them; every error the file provokes is checked at the end for secrets.
import { CompactEncrypt, base64url, decodeProtectedHeader } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthorizationTransaction } from '../../src/login/authorization-request.js'
import { openSession, openTransaction, sealSession, sealTransaction } from '../../src/cookies/seal.js'
import { type ReplayStore, createTransactionCookie } from '../../src/cookies/transaction-cookie.js'
import { SealError } from '../../src/errors.js'
import type { TokenSet } from '../../src/token-set.js'
import { prng } from '../helpers/prng.js'
import {
  SECRET,
  OLD_SECRET,
  OTHER_SECRET,
  SHORT_SECRET,
  ACCESS_TOKEN,
  provoked,
  expectSealError,
  expectConfigError,
  expectNoSecretIn,
  newTransaction,
  tokens,
  browserCookieHeader,
} from '../helpers/seals.js'

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
    expectNoSecretIn(provoked)
  })
})
