// Signing keys for tests that make their own JWTs, and the time in JWT seconds.
import { exportJWK, generateKeyPair, type JWK } from 'jose'

/** A key pair with its public JWK (kid, alg and use set), as an issuer would publish it. */
export interface Signer {
  alg: string
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
}

export async function makeSigner(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

/** Seconds since the epoch, as iat and exp are written. */
export function now(): number {
  return Math.floor(Date.now() / 1000)
}

/** The same token with one character of its signature changed. */
export function flipSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const i = Math.floor(signature.length / 2)
  const flipped = signature[i] === 'A' ? 'B' : 'A'
  return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`
}
