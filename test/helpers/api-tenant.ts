// An Auth0-like tenant for authcode/api tests, served on msw: its keys, access tokens, JWKS and discovery.
import { SignJWT, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from 'authcode/api'
import { HttpResponse, http, server, type Recorded } from './auth0.js'
import { type Signer, makeSigner, now } from './signers.js'

export const DOMAIN = 'api-tenant.auth0.example'
export const ISSUER = `https://${DOMAIN}/`
export const JWKS_URL = `https://${DOMAIN}/.well-known/jwks.json`
export const AUDIENCE = 'https://api.example.com'

export const OIDC_ISSUER = 'https://login.example.org/tenant-a'
export const OIDC_DISCOVERY = 'https://login.example.org/tenant-a/.well-known/openid-configuration'
export const OIDC_JWKS = 'https://keys.example.org/tenant-a/oauth2/v1/keys'

// Generated once: RSA key generation is slow-ish.
export const signers = (async () => ({
  a: await makeSigner('key-a'),
  b: await makeSigner('key-b'),
  // Another RSA key that claims key-a's kid: a forger who knows the kid but not the key.
  impostor: await makeSigner('key-a'),
  ec: await makeSigner('key-ec', 'ES256'),
  unpublished: await makeSigner('key-unpublished'),
}))()

/** Claims an Auth0 access token for AUDIENCE carries; `extra` overrides (undefined removes). */
export function accessClaims(extra: Record<string, unknown> = {}, iss = ISSUER): JWTPayload {
  const claims: Record<string, unknown> = {
    iss,
    sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 3600,
    scope: 'openid read:contacts',
    azp: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
    ...extra,
  }
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key]
  return claims as JWTPayload
}

export async function signWith(
  signer: Signer,
  claims: JWTPayload = accessClaims(),
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt', ...header }).sign(signer.privateKey)
}

/** A valid RS256 access token signed with key A. */
export async function validToken(extra: Record<string, unknown> = {}): Promise<string> {
  return signWith((await signers).a, accessClaims(extra))
}

export interface ServedKeys {
  keys: JWK[]
}

/** Serves `jwks` (read on every request, so tests can rotate keys) at the tenant's JWKS URL. */
export function serveJwks(jwks: ServedKeys, url = JWKS_URL): void {
  server.use(http.get(url, () => HttpResponse.json(jwks)))
}

export async function serveDefaultJwks(): Promise<ServedKeys> {
  const s = await signers
  const jwks = { keys: [s.a.jwk, s.b.jwk, s.ec.jwk] }
  serveJwks(jwks)
  return jwks
}

export function serveDiscovery(metadata: Record<string, unknown> = {}): void {
  server.use(
    http.get(OIDC_DISCOVERY, () =>
      HttpResponse.json({
        issuer: OIDC_ISSUER,
        authorization_endpoint: 'https://login.example.org/tenant-a/authorize',
        token_endpoint: 'https://login.example.org/tenant-a/token',
        jwks_uri: OIDC_JWKS,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        ...metadata,
      }),
    ),
  )
}

/** How many requests went to `url` (origin + path) since the test began. */
export function requestCount(log: Recorded[], url: string): number {
  return log.filter((r) => r.url.origin + r.url.pathname === url).length
}

/** A verifier for DOMAIN and AUDIENCE (see the typed-claims tests for one with a schema). */
export function domainVerifier(extra: Partial<AccessTokenVerifierOptions> = {}) {
  return createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, ...extra })
}
