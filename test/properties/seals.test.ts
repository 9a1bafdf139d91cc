// Property-based tests (fast-check) of sealed cookies: any change to a seal is refused with a SealError.
// Seeded (test/helpers/fast-check.ts): a failure reports its seed and shrink path; replay with FC_SEED=<seed>.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  SealError,
  openSession,
  openTransaction,
  sealSession,
  sealTransaction,
  type AuthorizationTransaction,
  type TokenSet,
} from 'authcode'
import { ISSUER, REDIRECT_URI, useMockServer } from '../helpers/auth0.js'
import { SEED, RUNS, params, B64URL, describeError } from '../helpers/fast-check.js'

useMockServer()

describe(`properties (fast-check seed ${SEED})`, () => {
  describe('4. sealed cookies are tamper-evident', () => {
    const SECRET = 'property-test-cookie-secret-5c0f1e2d3a4b5c6d7e8f'
    const TRANSACTION: AuthorizationTransaction = {
      state: 'xyzABC123-state',
      nonce: 'n-0S6_WzA2Mj',
      codeVerifier: 'dBjftJeZ4CVP-mJ0kNsdBjftJeZ4CVP-mJ0kNsAbCd0',
      redirectUri: REDIRECT_URI,
      issuer: ISSUER,
    }
    const TOKENS: TokenSet = { accessToken: 'access-token-abc', tokenType: 'Bearer', refreshToken: 'rt-xyz', expiresAt: 1_900_000_000 }
    const seals = { transaction: '', session: '' }
    const open = (purpose: 'transaction' | 'session', sealed: string): Promise<unknown> =>
      purpose === 'transaction' ? openTransaction(sealed, { secret: SECRET }) : openSession(sealed, { secret: SECRET })

    beforeAll(async () => {
      seals.transaction = await sealTransaction(TRANSACTION, { secret: SECRET })
      seals.session = await sealSession(TOKENS, { secret: SECRET })
      // The untouched seals open.
      expect(await openTransaction(seals.transaction, { secret: SECRET })).toStrictEqual(TRANSACTION)
      expect(await openSession(seals.session, { secret: SECRET })).toStrictEqual(TOKENS)
    })

    type Tamper =
      | { kind: 'char'; position: number; replacement: number }
      | { kind: 'bit'; segment: 0 | 2 | 3 | 4; bit: number }

    const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
      fc.record({ kind: fc.constant('char' as const), position: fc.nat(), replacement: fc.nat({ max: B64URL.length - 2 }) }),
      fc.record({ kind: fc.constant('bit' as const), segment: fc.constantFrom(0 as const, 2 as const, 3 as const, 4 as const), bit: fc.nat() }),
    )

    function tamper(sealed: string, t: Tamper): string {
      if (t.kind === 'char') {
        const i = t.position % sealed.length
        const original = sealed[i] ?? ''
        // A different base64url character (a '.' is replaced by any of them).
        const alphabet = B64URL.split('').filter((ch) => ch !== original)
        const ch = alphabet[t.replacement % alphabet.length] ?? 'A'
        return sealed.slice(0, i) + ch + sealed.slice(i + 1)
      }
      const parts = sealed.split('.')
      const bytes = Buffer.from(parts[t.segment] ?? '', 'base64url')
      const bit = t.bit % (bytes.length * 8)
      bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7))
      parts[t.segment] = bytes.toString('base64url')
      return parts.join('.')
    }

    it(`changing any one character or bit of a seal is rejected with SealError (${RUNS} runs, seed ${SEED})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom<'transaction' | 'session'>('transaction', 'session'), tamperArb, async (purpose, t) => {
          const original = seals[purpose]
          const changed = tamper(original, t)
          expect(changed).not.toBe(original)
          let opened: unknown
          try {
            opened = await open(purpose, changed)
          } catch (err) {
            if (!(err instanceof SealError)) throw new Error(`a tampered seal was rejected with a non-SealError: ${describeError(err)}`)
            expect(err.reason).toBe('invalid')
            return
          }
          throw new Error(`a tampered ${purpose} seal opened: ${JSON.stringify(opened)}`)
        }),
        params(RUNS),
      )
    })
  })
})
