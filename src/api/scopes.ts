// Bearer header parsing and scope checks for resource servers (RFC 6750).
import { InsufficientScopeError, InvalidTokenError } from '../errors.js'

/**
 * Takes the token out of an `Authorization` header value (`Bearer <token>`, scheme
 * case-insensitive, RFC 6750 §2.1).
 *
 * @throws {InvalidTokenError} with a bare `Bearer` challenge when the header is missing, and
 *   with `invalid_request` when it is not a Bearer header.
 * @example
 * ```ts
 * import { extractBearerToken, InvalidTokenError } from 'authcode/api'
 * try {
 *   const token = extractBearerToken(request.headers.get('authorization'))
 * } catch (err) {
 *   if (err instanceof InvalidTokenError) {
 *     return new Response(null, { status: 401, headers: { 'www-authenticate': err.wwwAuthenticate } })
 *   }
 *   throw err
 * }
 * ```
 */
export function extractBearerToken(header: string | null | undefined): string {
  if (header === null || header === undefined || header.trim() === '') {
    throw new InvalidTokenError('The request has no access token; send "Authorization: Bearer <token>"', { error: null })
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header.trim())
  if (!match) {
    throw new InvalidTokenError('The Authorization header is not of the form "Bearer <token>"', { error: 'invalid_request' })
  }
  return match[1]!
}

/** The scheme and token of an `Authorization` header: `Bearer` (RFC 6750) or `DPoP` (RFC 9449). */
export function parseAuthorization(header: string | null | undefined): { scheme: 'Bearer' | 'DPoP'; token: string } {
  if (header === null || header === undefined || header.trim() === '') {
    throw new InvalidTokenError('The request has no access token; send "Authorization: Bearer <token>"', { error: null })
  }
  const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header.trim())
  if (!match) {
    throw new InvalidTokenError('The Authorization header is not of the form "Bearer <token>"', { error: 'invalid_request' })
  }
  return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! }
}

/**
 * The claims {@link requireScopes} reads: OAuth's `scope`, `scp` (Microsoft Entra ID puts a
 * space-separated string there, Okta a list) and Auth0's `permissions` list.
 *
 * @example
 * ```ts
 * const claims: ScopedClaims = { scope: 'openid read:contacts', scp: ['read:contacts'], permissions: ['read:contacts'] }
 * ```
 */
export interface ScopedClaims {
  /** Space-separated scopes (RFC 9068), or a list of them. */
  scope?: unknown
  /** Scopes as Entra ID (space-separated) and Okta (a list) name them. */
  scp?: unknown
  /** Auth0 RBAC permissions. */
  permissions?: unknown
}

/** Adds the scopes of a claim: a space-separated string, or a list of strings. */
function grant(granted: Set<string>, claim: unknown): void {
  if (typeof claim === 'string') {
    for (const s of claim.split(' ')) if (s !== '') granted.add(s)
  } else if (Array.isArray(claim)) {
    for (const s of claim) if (typeof s === 'string') granted.add(s)
  }
}

/**
 * Checks that verified access-token claims grant every required scope, looking in `scope` and
 * `scp` (each a space-separated string or a list) and in Auth0's `permissions` list (RBAC).
 * A scope matches whole, never by prefix.
 *
 * @throws {InsufficientScopeError} naming the required scopes (answer 403 with its `wwwAuthenticate`).
 * @example
 * ```ts
 * import { requireScopes } from 'authcode/api'
 * requireScopes({ scope: 'openid read:contacts' }, ['read:contacts']) // passes
 * requireScopes({ scp: 'Contacts.Read Contacts.Write' }, ['Contacts.Write']) // passes (Entra ID)
 * requireScopes({ permissions: ['read:contacts'] }, ['write:contacts']) // throws InsufficientScopeError
 * ```
 */
export function requireScopes(claims: ScopedClaims, required: readonly string[]): void {
  const granted = new Set<string>()
  grant(granted, claims.scope)
  grant(granted, claims.scp)
  if (Array.isArray(claims.permissions)) grant(granted, claims.permissions)
  if (required.some((s) => !granted.has(s))) throw new InsufficientScopeError(required)
}
