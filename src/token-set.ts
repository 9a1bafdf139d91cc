// TokenSet: the camelCase form of a token endpoint response, and its expiry math.
import type * as oauth from 'oauth4webapi'
import { isObject, optional } from './lib/shape.js'

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
  /** The issuer (checked). */
  iss: string
  /** The user's stable id at the provider, e.g. `"auth0|5f7c8ec7c33c6c004bbafe82"`. */
  sub: string
  /** The audience: your client ID (checked). */
  aud: string | string[]
  /** Epoch seconds at which the ID token expires (checked). */
  exp: number
  /** Epoch seconds of issue (checked). */
  iat: number
  /** The nonce of the login, checked against the one sent. */
  nonce?: string
  /** The authorized party: your client ID when present (checked). */
  azp?: string
  /** Epoch seconds of the user's authentication, checked against `maxAge` when it was asked. */
  auth_time?: number
  /** Auth0 organization ID, when the login was for an organization. */
  org_id?: string
  /** Auth0 organization name, when the tenant includes it. */
  org_name?: string
  [claim: string]: unknown
}

/**
 * The fields of a token response that {@link TokenSet} has no name for, as the server sent
 * them: provider-specific lifetimes, session ids and the like. The common ones are typed.
 *
 * @example
 * ```ts
 * const tokens = await client.exchangeCode({ code, ...transaction })
 * const extra: TokenResponseExtra | undefined = tokens.extra
 * extra?.refresh_expires_in // Keycloak: seconds the refresh token lives
 * ```
 */
export interface TokenResponseExtra {
  /** Keycloak: seconds until the refresh token expires. */
  refresh_expires_in?: number
  /** Microsoft Entra ID: seconds the access token stays usable while Entra is unreachable. */
  ext_expires_in?: number
  /** Keycloak: the server session the tokens belong to. */
  session_state?: string
  [field: string]: unknown
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
  /** The access token, for the API the login or grant asked for. */
  accessToken: string
  /** `"Bearer"` (or `"DPoP"`). */
  tokenType: string
  /** Epoch seconds, computed from `expires_in` when the response arrived. */
  expiresAt?: number
  /** After a refresh without rotation, the refresh token that was used. */
  refreshToken?: string
  /** The raw ID token, when the scope had `openid`; its checked claims are `claims`. */
  idToken?: string
  /** The granted scopes, space-separated, when the server said. */
  scope?: string
  /** The validated claims of `idToken`, when there is one (typed by a `claims` schema when given). */
  claims?: C
  /** Any other fields of the token response (Keycloak's `refresh_expires_in`, Entra's `ext_expires_in`, …). */
  extra?: TokenResponseExtra
}

/**
 * True when `value` has the shape of a {@link TokenSet}: a non-empty `accessToken`, a
 * `tokenType`, and each optional field that is present of its type (`expiresAt` a number;
 * `refreshToken`, `idToken`, `scope` strings; `claims`, `extra` objects). Every token set
 * {@link toTokenSet} makes passes. For what comes back from a store or a seal. Internal.
 */
export function isTokenSet(value: unknown): value is TokenSet {
  return (
    isObject(value) &&
    typeof value.accessToken === 'string' &&
    value.accessToken !== '' &&
    typeof value.tokenType === 'string' &&
    optional(value.expiresAt, 'number') &&
    optional(value.refreshToken, 'string') &&
    optional(value.idToken, 'string') &&
    optional(value.scope, 'string') &&
    (value.claims === undefined || isObject(value.claims)) &&
    (value.extra === undefined || isObject(value.extra))
  )
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
  // The fields TokenSet has a name for, and the rest (a parsed JSON body: no undefined values).
  const { access_token, token_type, expires_in, refresh_token, id_token, scope, ...extra } = res
  const tokens: TokenSet = { accessToken: access_token, tokenType: tokenTypeName(token_type) }
  if (typeof expires_in === 'number') tokens.expiresAt = p.now + Math.floor(expires_in)
  const refreshToken = refresh_token ?? p.previousRefreshToken
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken
  if (id_token !== undefined) tokens.idToken = id_token
  if (scope !== undefined) tokens.scope = scope
  if (claims !== undefined) tokens.claims = claims
  if (Object.keys(extra).length > 0) tokens.extra = extra
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
