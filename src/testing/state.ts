// What the endpoints of one stand-in tenant share: where it answers, how it is set up, and the
// codes and tokens it has issued. createAuth0Handlers makes one TenantState and hands it to each.
import type { JWTPayload } from 'jose'
import type { Settings } from './options.js'
import type { TestTenant } from './tenant.js'
import type { TestUser } from './user.js'

/** Who was granted what at a login; a code and the refresh tokens from it carry it on. */
export interface Grant {
  clientId: string
  user: TestUser
  scope: string[]
  audience: string | undefined
  org: { org_id?: string; org_name?: string }
  authTime: number
  sid: string
  idTokenClaims: JWTPayload
  accessTokenClaims: JWTPayload
}

/** An authorization code, with what the token request must match. */
export interface CodeRecord extends Grant {
  redirectUri: string
  codeChallenge: string | undefined
  codeChallengeMethod: string
  nonce: string | undefined
  used: boolean
  /** The refresh token families issued for this code, revoked if the code is used again. */
  families: Family[]
}

/** The refresh tokens that descend from one code exchange by rotation; revoked together. */
export interface Family extends Grant {
  revoked: boolean
}

export interface RefreshTokenRecord {
  family: Family
  rotated: boolean
  /** When it was rotated away, seconds; the reuse interval counts from here. */
  rotatedAt: number
}

export interface AccessTokenRecord {
  /** Undefined for a client credentials token, which /userinfo refuses. */
  user: TestUser | undefined
  scope: string[]
  exp: number
}

/** The tenant's endpoint URLs, all under `base` (the issuer with a trailing slash). */
export interface TenantUrls {
  base: string
  authorize: string
  token: string
  userinfo: string
  revoke: string
  jwks: string
  discovery: string
  logout: string
  oidcLogout: string
}

export interface TenantState {
  tenant: TestTenant
  settings: Settings
  urls: TenantUrls
  codes: Map<string, CodeRecord>
  refreshTokens: Map<string, RefreshTokenRecord>
  accessTokens: Map<string, AccessTokenRecord>
}

/** A URL on the tenant: `path` relative to its `base`. */
export function tenantUrl(base: string, path: string): string {
  return new URL(path, base).href
}

/** Where the tenant's endpoints are, as Auth0 lays them out under the issuer. */
export function tenantUrls(issuer: string): TenantUrls {
  const base = issuer.endsWith('/') ? issuer : `${issuer}/`
  const at = (path: string) => tenantUrl(base, path)
  return {
    base,
    authorize: at('authorize'),
    token: at('oauth/token'),
    userinfo: at('userinfo'),
    revoke: at('oauth/revoke'),
    jwks: at('.well-known/jwks.json'),
    discovery: at('.well-known/openid-configuration'),
    logout: at('v2/logout'),
    oidcLogout: at('oidc/logout'),
  }
}
