// TokenSet: the camelCase form of a token endpoint response, and its expiry math.
import type * as oauth from 'oauth4webapi'

/**
 * Claims of a validated ID token. The standard ones are typed; Auth0's namespaced custom
 * claims (`"https://example.com/roles"`) are there as `unknown`.
 *
 * @example
 * ```ts
 * import type { IdTokenClaims } from 'authcode'
 * function displayName(claims: IdTokenClaims): string {
 *   return typeof claims.name === 'string' ? claims.name : claims.sub
 * }
 * ```
 */
export interface IdTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nonce?: string
  azp?: string
  auth_time?: number
  /** Auth0 organization ID, when the login was for an organization. */
  org_id?: string
  /** Auth0 organization name, when the tenant includes it. */
  org_name?: string
  [claim: string]: unknown
}

/**
 * Tokens from the token endpoint, camelCased. Plain data: safe to store as JSON.
 *
 * @example
 * ```ts
 * import type { TokenSet } from 'authcode'
 * const tokens: TokenSet = await client.exchangeCode({ code, redirectUri, codeVerifier })
 * fetch('https://api.example.com/contacts', {
 *   headers: { authorization: `${tokens.tokenType} ${tokens.accessToken}` },
 * })
 * ```
 */
export interface TokenSet<C extends IdTokenClaims = IdTokenClaims> {
  accessToken: string
  /** `"Bearer"` (or `"DPoP"`). */
  tokenType: string
  /** Epoch seconds, computed from `expires_in` when the response arrived. */
  expiresAt?: number
  /** After a refresh without rotation, the refresh token that was used. */
  refreshToken?: string
  idToken?: string
  /** The granted scopes, space-separated, when the server said. */
  scope?: string
  /** The validated claims of `idToken`, when there is one (typed by a `claims` schema when given). */
  claims?: C
}

/** Now, in epoch seconds. */
export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function tokenTypeName(value: string): string {
  const lower = value.toLowerCase()
  if (lower === 'bearer') return 'Bearer'
  if (lower === 'dpop') return 'DPoP'
  return value
}

/** Converts a processed token endpoint response (and its validated ID token claims). */
export function toTokenSet(
  res: oauth.TokenEndpointResponse,
  claims: IdTokenClaims | undefined,
  p: { now: number; previousRefreshToken?: string | undefined },
): TokenSet {
  const tokens: TokenSet = { accessToken: res.access_token, tokenType: tokenTypeName(res.token_type) }
  if (typeof res.expires_in === 'number') tokens.expiresAt = p.now + Math.floor(res.expires_in)
  const refreshToken = res.refresh_token ?? p.previousRefreshToken
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken
  if (res.id_token !== undefined) tokens.idToken = res.id_token
  if (res.scope !== undefined) tokens.scope = res.scope
  if (claims !== undefined) tokens.claims = claims
  return tokens
}

/**
 * True when the access token expires within `leewaySeconds` (or has expired). A token set
 * with no `expiresAt` is taken as fresh.
 *
 * @example
 * ```ts
 * import { isExpired } from 'authcode'
 * if (isExpired(tokens, 60)) tokens = await client.refresh({ refreshToken: tokens.refreshToken! })
 * ```
 */
export function isExpired(tokens: Pick<TokenSet, 'expiresAt'>, leewaySeconds = 0, now = epochSeconds()): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - leewaySeconds <= now
}
