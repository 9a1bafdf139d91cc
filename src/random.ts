// Random values for an authorization request (state, nonce, PKCE), on Web Crypto via oauth4webapi.
import * as oauth from 'oauth4webapi'
import { ConfigError } from './errors.js'

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
  return oauth.generateRandomState()
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
  return oauth.generateRandomNonce()
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
  return oauth.generateRandomCodeVerifier()
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
  return oauth.calculatePKCECodeChallenge(verifier)
}

/**
 * A fresh key pair for DPoP (RFC 9449), for `ClientConfig.dpop`: ES256 by default, the
 * private key non-extractable so it cannot leave the runtime's key store.
 *
 * @example
 * ```ts
 * import { generateDpopKeyPair, TokenClient } from 'authcode'
 * const client = new TokenClient({ domain, clientId, clientSecret, dpop: await generateDpopKeyPair() })
 * ```
 */
export function generateDpopKeyPair(alg: 'ES256' | 'PS256' | 'Ed25519' = 'ES256'): Promise<CryptoKeyPair> {
  return oauth.generateKeyPair(alg)
}
