// Random values for a login (state, nonce, PKCE verifier and challenge, DPoP key pair), and the pure modules that load neither oauth4webapi nor zod.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { ConfigError, createCodeChallenge, generateCodeVerifier, generateDpopKeyPair, generateNonce, generateState } from 'authcode'

const BASE64URL = /^[A-Za-z0-9_-]+$/

const generators = [
  ['generateState', generateState],
  ['generateNonce', generateNonce],
  ['generateCodeVerifier', generateCodeVerifier],
] as const

describe.each(generators)('%s', (_name, generate) => {
  it('returns at least 43 characters (32 random bytes)', () => {
    expect(generate().length).toBeGreaterThanOrEqual(43)
  })

  it('returns exactly 43 characters, the unpadded base64url of 32 bytes', () => {
    for (let i = 0; i < 100; i++) expect(generate()).toMatch(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/)
  })

  it('uses only the base64url alphabet, without padding', () => {
    for (let i = 0; i < 100; i++) {
      const value = generate()
      expect(value).toMatch(BASE64URL)
      expect(value).not.toContain('=')
    }
  })

  it('gives 1,000 distinct values in 1,000 calls', () => {
    const values = new Set<string>()
    for (let i = 0; i < 1000; i++) values.add(generate())
    expect(values.size).toBe(1000)
  })
})

describe('generateCodeVerifier', () => {
  it('returns a verifier of 43 to 128 characters, as RFC 7636 requires', () => {
    const verifier = generateCodeVerifier()
    expect(verifier.length).toBeGreaterThanOrEqual(43)
    expect(verifier.length).toBeLessThanOrEqual(128)
  })

  it('returns a verifier that createCodeChallenge accepts', async () => {
    await expect(createCodeChallenge(generateCodeVerifier())).resolves.toMatch(BASE64URL)
  })
})

describe('createCodeChallenge', () => {
  // RFC 7636 Appendix B: the verifier is the base64url form of these 32 octets, and its S256
  // challenge is "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".
  const RFC7636_OCTETS = [
    116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91,
    88, 5, 88, 83, 132, 141, 121,
  ]
  const RFC7636_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'

  it('matches the S256 test vector of RFC 7636 Appendix B', async () => {
    // The verifier is the base64url form of the RFC's 32 octets (a guard against a mistyped vector).
    const fromOctets = btoa(String.fromCharCode(...RFC7636_OCTETS)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    expect(fromOctets).toBe(RFC7636_VERIFIER)
    await expect(createCodeChallenge(RFC7636_VERIFIER)).resolves.toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
  })

  it('returns a 43-character base64url challenge (SHA-256, no padding)', async () => {
    const challenge = await createCodeChallenge(generateCodeVerifier())
    expect(challenge).toHaveLength(43)
    expect(challenge).toMatch(BASE64URL)
  })

  it('gives different challenges for different verifiers and the same one for the same verifier', async () => {
    const a = generateCodeVerifier()
    const b = generateCodeVerifier()
    const challengeA = await createCodeChallenge(a)
    expect(await createCodeChallenge(a)).toBe(challengeA)
    expect(await createCodeChallenge(b)).not.toBe(challengeA)
  })

  it('accepts verifiers of exactly 43 and 128 characters using every unreserved character', async () => {
    const unreserved = 'ABCxyz019-._~'
    const v43 = unreserved.repeat(4).slice(0, 43).padEnd(43, 'a')
    const v128 = unreserved.repeat(10).slice(0, 128)
    expect(v43).toHaveLength(43)
    expect(v128).toHaveLength(128)
    await expect(createCodeChallenge(v43)).resolves.toMatch(BASE64URL)
    await expect(createCodeChallenge(v128)).resolves.toMatch(BASE64URL)
  })

  it.each([
    ['42 characters (too short)', 'a'.repeat(42)],
    ['129 characters (too long)', 'a'.repeat(129)],
    ['the empty string', ''],
    ['a "+" character', `${'a'.repeat(42)}+`],
    ['a "/" character', `${'a'.repeat(42)}/`],
    ['a "=" padding character', `${'a'.repeat(42)}=`],
    ['a space', `${'a'.repeat(21)} ${'a'.repeat(21)}`],
    ['a non-ASCII character', `${'a'.repeat(42)}é`],
  ])('rejects a verifier with %s with ConfigError naming codeVerifier', async (_label, verifier) => {
    await expect(createCodeChallenge(verifier)).rejects.toThrow(ConfigError)
    await expect(createCodeChallenge(verifier)).rejects.toMatchObject({ code: 'ERR_CONFIG', field: 'codeVerifier' })
  })

  it('does not put the rejected verifier in the error message', async () => {
    const verifier = `${'Q'.repeat(40)}+++`
    const err: unknown = await createCodeChallenge(verifier).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).not.toContain(verifier)
    expect(JSON.stringify(err)).not.toContain(verifier)
  })
})

describe('generateDpopKeyPair', () => {
  it.each([
    ['ES256', 'ECDSA'],
    ['PS256', 'RSA-PSS'],
    ['Ed25519', 'Ed25519'],
  ] as const)('makes a %s signing pair whose private key cannot be exported', async (alg, name) => {
    const { privateKey, publicKey } = await generateDpopKeyPair(alg)
    expect(privateKey.algorithm.name).toBe(name)
    expect(privateKey.extractable).toBe(false)
    expect(privateKey.usages).toEqual(['sign'])
    expect(publicKey.extractable).toBe(true)
    expect(publicKey.usages).toEqual(['verify'])
  })

  it('makes an ES256 (P-256) pair by default', async () => {
    const { privateKey } = await generateDpopKeyPair()
    expect(privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' })
  })

  it('rejects another alg with ConfigError naming alg', async () => {
    await expect(generateDpopKeyPair('RS256' as 'ES256')).rejects.toMatchObject({ code: 'ERR_CONFIG', field: 'alg' })
  })
})

describe('the pure modules', () => {
  // They are in every bundle that builds a URL or checks a callback; oauth4webapi and zod load
  // only where the token endpoint or configuration needs them.
  it.each(['login/random', 'login/authorize', 'login/callback', 'lib/checks', 'auth0'])('src/%s.ts imports neither oauth4webapi nor zod', (name) => {
    const source = readFileSync(new URL(`../../src/${name}.ts`, import.meta.url), 'utf8')
    // (A type-only import is erased from the build.)
    expect(source).not.toMatch(/^import (?!type )[^\n]*from ['"](oauth4webapi|zod)/m)
    expect(source).not.toMatch(/import\(['"](oauth4webapi|zod)/)
  })
})
