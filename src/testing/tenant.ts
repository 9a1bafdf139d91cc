// createTestTenant: a stand-in Auth0 tenant's key pair and the tokens it signs, for tests that
// answer requests by hand or give the tenant to createAuth0Handlers.
import { type JWK, type JWTPayload, SignJWT, exportJWK, generateKeyPair } from 'jose'
import { DEFAULT_USER } from './user.js'
import { nowSeconds, randomToken } from './wire.js'

/**
 * Options of {@link createTestTenant}.
 *
 * @example
 * ```ts
 * const tenant = await createTestTenant({ domain: 'my-tenant.eu.auth0.com', clientId: 'abc', alg: 'ES256' })
 * ```
 */
export interface TestTenantOptions {
  /** The tenant's domain. Default `"test-tenant.auth0.example"`. */
  domain?: string
  /** The application's client ID, the ID token's audience. Default `"test-client-id"`. */
  clientId?: string
  /**
   * The signing algorithm. Default `RS256` (Auth0's default). Auth0 signs with RS256, PS256
   * (or HS256); `ES256` is not an Auth0 option, for testing APIs that verify other issuers.
   */
  alg?: 'RS256' | 'ES256' | 'PS256'
  /** The key ID in the JWKS and token headers. Default `"test-key-1"`. */
  kid?: string
  /** The issuer, for a tenant served elsewhere (e.g. `http://127.0.0.1:4000/`). Default `https://{domain}/`. */
  issuer?: string
}

/**
 * The JSON a token endpoint answers with (snake_case, as Auth0 sends it).
 *
 * @example
 * ```ts
 * const body: TokenEndpointJson = await tenant.tokenResponse({ nonce })
 * return Response.json(body)
 * ```
 */
export interface TokenEndpointJson {
  /** The access token. */
  access_token: string
  /** `"Bearer"`. */
  token_type: string
  /** Seconds the access token lives. */
  expires_in?: number
  /** The refresh token, when one was issued. */
  refresh_token?: string
  /** The signed ID token, when one was issued. */
  id_token?: string
  /** The granted scopes, space-separated. */
  scope?: string
}

/**
 * A test tenant made by {@link createTestTenant}.
 *
 * @example
 * ```ts
 * const tenant: TestTenant = await createTestTenant()
 * const idToken = await tenant.signIdToken({ nonce: 'n-0S6_WzA2Mj' })
 * ```
 */
export interface TestTenant {
  /** The tenant's domain, e.g. `"test-tenant.auth0.example"`. */
  domain: string
  /** `https://{domain}/` */
  issuer: string
  /** The application's client ID, the ID token's audience. */
  clientId: string
  /** The public JWKS, as `/.well-known/jwks.json` serves it. */
  jwks: { keys: JWK[] }
  /** Signs an ID token for the client: iss, aud, sub, iat, exp (+1 h) set unless overridden. */
  signIdToken(claims?: JWTPayload): Promise<string>
  /** Signs an RFC 9068 access token for `audience`: iss, sub, aud, iat, exp (+1 h), scope. */
  signAccessToken(claims?: JWTPayload & { aud?: string | string[] }): Promise<string>
  /**
   * Signs a back-channel logout token (`typ: logout+jwt`): iss, aud (the client), iat, a fresh
   * jti, the back-channel logout event, and `sub` unless `sid` is given. POST it as
   * `logout_token` to an app's back-channel logout route.
   */
  signLogoutToken(claims?: JWTPayload & { sid?: string }): Promise<string>
  /** A token endpoint response with a signed ID token (with `nonce` when given) and a refresh token. */
  tokenResponse(p?: { nonce?: string; idTokenClaims?: JWTPayload; scope?: string; expiresIn?: number; refreshToken?: string | false }): Promise<TokenEndpointJson>
}

/**
 * Makes a test tenant: a fresh key pair and helpers that sign ID and access tokens the way
 * Auth0 does, for tests of code that uses authcode. Give it to {@link "authcode/testing/msw"!createAuth0Handlers}
 * for msw handlers that serve the whole tenant, or answer requests with it by hand.
 *
 * @example
 * ```ts
 * import { createTestTenant } from 'authcode/testing'
 * const tenant = await createTestTenant({ clientId: 'my-client' })
 * const body = await tenant.tokenResponse({ nonce: transaction.nonce })
 * // answer POST https://test-tenant.auth0.example/oauth/token with `body`
 * ```
 */
export async function createTestTenant(options: TestTenantOptions = {}): Promise<TestTenant> {
  const domain = options.domain ?? 'test-tenant.auth0.example'
  const clientId = options.clientId ?? 'test-client-id'
  const alg = options.alg ?? 'RS256'
  const kid = options.kid ?? 'test-key-1'
  const issuer = options.issuer ?? `https://${domain}/`
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }

  const sign = (payload: JWTPayload, typ: string) => {
    const now = nowSeconds()
    return new SignJWT({ iss: issuer, iat: now, exp: now + 3600, ...payload })
      .setProtectedHeader({ alg, kid, typ })
      .sign(privateKey)
  }

  const tenant: TestTenant = {
    domain,
    issuer,
    clientId,
    jwks: { keys: [jwk] },
    signIdToken: (claims = {}) => sign({ sub: DEFAULT_USER.sub, aud: clientId, ...claims }, 'JWT'),
    signLogoutToken: (claims = {}) =>
      sign(
        {
          aud: clientId,
          jti: randomToken(16),
          events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
          ...(claims.sid === undefined && { sub: DEFAULT_USER.sub }),
          ...claims,
        },
        'logout+jwt',
      ),
    signAccessToken: (claims = {}) =>
      sign({ sub: DEFAULT_USER.sub, aud: 'https://api.example.com', scope: 'openid', jti: randomToken(16), client_id: clientId, ...claims }, 'at+jwt'),
    async tokenResponse(p = {}) {
      const body: TokenEndpointJson = {
        access_token: await tenant.signAccessToken(p.scope === undefined ? {} : { scope: p.scope }),
        token_type: 'Bearer',
        expires_in: p.expiresIn ?? 86400,
        id_token: await tenant.signIdToken({ ...(p.nonce !== undefined && { nonce: p.nonce }), ...p.idTokenClaims }),
        scope: p.scope ?? 'openid profile email offline_access',
      }
      if (p.refreshToken !== false) body.refresh_token = p.refreshToken ?? `rt-${randomToken(16)}`
      return body
    },
  }
  return tenant
}
