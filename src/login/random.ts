// Random values for an authorization request (state, nonce, PKCE) and the S256 challenge, on Web Crypto alone.
import { ConfigError } from '../errors.js'
import { encode as base64url } from '../lib/base64url.js'

/**
 * `count` fresh values of 32 random bytes each, base64url (43 characters), from one call to
 * the random source: a login needs two or three, and each call has a fixed cost.
 */
export function randomTokens(count: number): string[] {
  const bytes = crypto.getRandomValues(new Uint8Array(32 * count))
  const out: string[] = []
  for (let i = 0; i < count; i++) out.push(base64url(bytes.subarray(32 * i, 32 * i + 32)))
  return out
}

function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

/**
 * A fresh `state` value: 32 random bytes, base64url (43 characters). Store it with the
 * login transaction and give it back to {@link validateCallback}.
 *
 * @example
 * ```ts
 * import { generateState } from 'authcode'
 * const state = generateState() // e.g. "rJ2t0Xo6…" (43 chars)
 * ```
 */
export function generateState(): string {
  return randomToken()
}

/**
 * A fresh OpenID Connect `nonce`: 32 random bytes, base64url. Send it on the authorization
 * request and give it to `exchangeCode`, which checks the ID token carries it.
 *
 * @example
 * ```ts
 * import { generateNonce } from 'authcode'
 * const nonce = generateNonce()
 * ```
 */
export function generateNonce(): string {
  return randomToken()
}

/**
 * A fresh PKCE `code_verifier` (RFC 7636): 32 random bytes, base64url, 43 characters.
 *
 * @example
 * ```ts
 * import { generateCodeVerifier, createCodeChallenge } from 'authcode'
 * const verifier = generateCodeVerifier()
 * const challenge = await createCodeChallenge(verifier)
 * ```
 */
export function generateCodeVerifier(): string {
  return randomToken()
}

/** BASE64URL(SHA-256(ASCII(verifier))), for a verifier already known to be ASCII. */
export async function s256(verifier: string): Promise<string> {
  const bytes = new Uint8Array(verifier.length)
  for (let i = 0; i < bytes.length; i++) bytes[i] = verifier.charCodeAt(i)
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/**
 * The S256 `code_challenge` of a verifier: BASE64URL(SHA-256(verifier)).
 *
 * @throws {ConfigError} when the verifier is not 43–128 characters of `[A-Za-z0-9-._~]`.
 * @example
 * ```ts
 * import { createCodeChallenge } from 'authcode'
 * await createCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
 * // "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" (RFC 7636 Appendix B)
 * ```
 */
export async function createCodeChallenge(verifier: string): Promise<string> {
  if (typeof verifier !== 'string' || !VERIFIER.test(verifier)) {
    throw new ConfigError('codeVerifier', 'must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_" or "~" (RFC 7636)')
  }
  return s256(verifier)
}

/**
 * A fresh key pair for DPoP (RFC 9449), for `ClientConfig.dpop`: ES256 by default, the
 * private key non-extractable so it cannot leave the runtime's key store.
 *
 * @throws {ConfigError} (as a rejected promise) for an `alg` other than ES256, PS256 or Ed25519.
 * @example
 * ```ts
 * import { generateDpopKeyPair, TokenClient } from 'authcode'
 * const client = new TokenClient({ domain, clientId, clientSecret, dpop: await generateDpopKeyPair() })
 * ```
 */
export async function generateDpopKeyPair(alg: 'ES256' | 'PS256' | 'Ed25519' = 'ES256'): Promise<CryptoKeyPair> {
  const algorithm =
    alg === 'ES256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : alg === 'PS256'
        ? { name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }
        : alg === 'Ed25519'
          ? { name: 'Ed25519' }
          : undefined
  if (algorithm === undefined) throw new ConfigError('alg', 'must be "ES256", "PS256" or "Ed25519"')
  return crypto.subtle.generateKey(algorithm, false, ['sign', 'verify']) as Promise<CryptoKeyPair>
}
