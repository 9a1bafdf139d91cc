// Keys, signed access tokens and the JWKS the verification benchmarks share: every verifier
// checks the very same token against the very same keys.
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { AUTH0_DOMAIN } from './token-server.mjs'
import { APP } from './util.mjs'

export const ISSUER = `https://${AUTH0_DOMAIN}/`
export const JWKS_URI = `${ISSUER}.well-known/jwks.json`

/** Builds keys for RS256 (2048-bit) and ES256 (P-256), one RFC 9068 access token for each, and a fetch serving the JWKS. */
export async function makeTokens() {
  const keys = []
  const tokens = {}
  for (const alg of ['RS256', 'ES256']) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const kid = `bench-${alg.toLowerCase()}`
    keys.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' })
    const now = Math.floor(Date.now() / 1000)
    // Every claim that any of the verifiers requires (oauth4webapi requires all of RFC 9068's).
    tokens[alg] = await new SignJWT({ scope: 'openid profile read:contacts', client_id: APP.clientId, azp: APP.clientId })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setSubject('auth0|64f0c0ffee0000000000jane')
      .setAudience([APP.audience, `${ISSUER}userinfo`])
      .setIssuedAt(now)
      .setExpirationTime(now + 24 * 3600)
      .setJti(crypto.randomUUID())
      .sign(privateKey)
  }
  const jwksText = JSON.stringify({ keys })
  let jwksFetches = 0
  /** Serves the JWKS for JWKS_URI (counts the calls, to prove the caches are warm). */
  const jwksFetch = async (input) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url !== JWKS_URI) throw new Error(`unexpected fetch of ${url}`)
    jwksFetches++
    return new Response(jwksText, { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return { tokens, jwks: { keys }, jwksFetch, jwksFetchCount: () => jwksFetches }
}
