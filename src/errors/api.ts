// Errors of a resource server: a token that is invalid or lacks a scope (with its WWW-Authenticate
// challenge), and a logout token that is not valid.
import { challenge } from '../lib/www-authenticate.js'
import { AuthcodeError } from './base.js'

/**
 * The access token presented to an API is missing, malformed, expired or not for this API.
 * Answer 401 with `wwwAuthenticate` as the `WWW-Authenticate` header (RFC 6750).
 *
 * Code: `ERR_INVALID_TOKEN`
 *
 * @example
 * ```ts
 * import { InvalidTokenError } from 'authcode/api'
 * function toResponse(err: InvalidTokenError): Response {
 *   return new Response(null, { status: err.status, headers: { 'www-authenticate': err.wwwAuthenticate } })
 * }
 * ```
 */
export class InvalidTokenError extends AuthcodeError {
  declare readonly code: 'ERR_INVALID_TOKEN'
  /** Always 401. */
  readonly status: 401 = 401
  /** The RFC 6750/9449 error code of the challenge; undefined when the request had no credentials. */
  readonly error?: 'invalid_token' | 'invalid_request' | 'invalid_dpop_proof'
  /** A ready `WWW-Authenticate` header value. */
  readonly wwwAuthenticate: string

  /**
   * @param options.error `invalid_token` (default), `invalid_request` for a malformed
   *   header, `invalid_dpop_proof` (RFC 9449), or `null` when the request had no credentials
   *   at all (RFC 6750 §3.1: then the challenge carries no error code).
   * @param options.scheme `Bearer` (default) or `DPoP` for the challenge.
   */
  constructor(
    message: string,
    options?: { cause?: unknown; error?: 'invalid_token' | 'invalid_request' | 'invalid_dpop_proof' | null; scheme?: 'Bearer' | 'DPoP' },
  ) {
    super('ERR_INVALID_TOKEN', message, options)
    const error = options?.error === undefined ? 'invalid_token' : options.error
    const scheme = options?.scheme ?? 'Bearer'
    if (error !== null) this.error = error
    this.wwwAuthenticate = error === null ? scheme : challenge(scheme, error, message)
  }
}

/**
 * The access token is valid but lacks a scope the API requires. Answer 403 with
 * `wwwAuthenticate` as the `WWW-Authenticate` header (RFC 6750).
 *
 * Code: `ERR_INSUFFICIENT_SCOPE`
 *
 * @example
 * ```ts
 * import { InsufficientScopeError } from 'authcode/api'
 * const err = new InsufficientScopeError(['read:contacts'])
 * err.wwwAuthenticate // Bearer error="insufficient_scope", ..., scope="read:contacts"
 * ```
 */
export class InsufficientScopeError extends AuthcodeError {
  declare readonly code: 'ERR_INSUFFICIENT_SCOPE'
  /** Always 403. */
  readonly status: 403 = 403
  /** Always `insufficient_scope` (RFC 6750). */
  readonly error: 'insufficient_scope' = 'insufficient_scope'
  /** The scopes the request needed. */
  readonly requiredScopes: readonly string[]
  /** A ready `WWW-Authenticate` header value. */
  readonly wwwAuthenticate: string

  constructor(requiredScopes: readonly string[]) {
    const message = `The access token lacks a required scope: ${requiredScopes.join(' ')}`
    super('ERR_INSUFFICIENT_SCOPE', message)
    this.requiredScopes = [...requiredScopes]
    this.wwwAuthenticate = challenge('Bearer', 'insufficient_scope', message, requiredScopes.join(' '))
  }
}

/**
 * A back-channel logout token (OpenID Connect Back-Channel Logout 1.0) failed a check:
 * signature, issuer, audience, `events`, `sub`/`sid`, a forbidden `nonce`, or replay.
 * Answer the provider 400.
 *
 * Code: `ERR_LOGOUT_TOKEN`
 *
 * @example
 * ```ts
 * import { verifyLogoutToken, LogoutTokenError } from 'authcode/api'
 * try {
 *   const { sid, sub } = await verifyLogoutToken(form.get('logout_token') ?? '', { domain, clientId })
 * } catch (err) {
 *   if (err instanceof LogoutTokenError) return new Response(null, { status: 400 })
 *   throw err
 * }
 * ```
 */
export class LogoutTokenError extends AuthcodeError {
  declare readonly code: 'ERR_LOGOUT_TOKEN'
  constructor(message: string) {
    super('ERR_LOGOUT_TOKEN', message)
  }
}
