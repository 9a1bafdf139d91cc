// Errors of requests to the provider: OAuth error answers, bad responses, the network, timeouts,
// aborts, ID tokens, and a login that is needed again.
import { AuthcodeError } from './base.js'

/**
 * An endpoint answered with an OAuth error body `{ error, error_description }` (or a
 * `WWW-Authenticate` challenge). `status` is the HTTP status.
 *
 * Code: `ERR_OAUTH`
 *
 * @example
 * ```ts
 * import { OAuthError } from 'authcode'
 * try {
 *   await client.refresh({ refreshToken })
 * } catch (err) {
 *   if (err instanceof OAuthError && err.error === 'invalid_grant') {
 *     // the refresh token is dead: log the user in again
 *   }
 * }
 * ```
 */
export class OAuthError extends AuthcodeError {
  declare readonly code: 'ERR_OAUTH'
  /** The `error` value, e.g. `"invalid_grant"`. */
  readonly error: string
  /** The `error_description` value, when sent. */
  readonly errorDescription?: string
  /** The HTTP status of the response. */
  readonly status: number
  /** Seconds the server asked us to wait (`Retry-After`) on a 429/503, when sent. */
  readonly retryAfter?: number

  constructor(
    p: { error: string; errorDescription?: string; status: number; retryAfter?: number; hint?: string },
    options?: { cause?: unknown },
  ) {
    super(
      'ERR_OAUTH',
      `The server answered ${p.status} "${p.error}"${p.errorDescription ? `: ${p.errorDescription.replace(/\.+$/, '')}` : ''}${p.hint ? `. ${p.hint}` : ''}`,
      options,
    )
    this.error = p.error
    if (p.errorDescription !== undefined) this.errorDescription = p.errorDescription
    this.status = p.status
    if (p.retryAfter !== undefined) this.retryAfter = p.retryAfter
  }
}

/**
 * An endpoint answered with something that is not a valid response: not JSON, the wrong
 * shape, or an unexpected HTTP status. `status` is the HTTP status.
 *
 * Code: `ERR_RESPONSE`
 *
 * @example
 * ```ts
 * import { ResponseError } from 'authcode'
 * try {
 *   await client.exchangeCode({ code, redirectUri, codeVerifier })
 * } catch (err) {
 *   if (err instanceof ResponseError && err.status >= 500) {
 *     // the provider is having trouble; show a "try again" page
 *   }
 * }
 * ```
 */
export class ResponseError extends AuthcodeError {
  declare readonly code: 'ERR_RESPONSE'
  /** The HTTP status of the response. */
  readonly status: number
  /** Seconds the server asked us to wait (`Retry-After`) on a 429/503, when sent. */
  readonly retryAfter?: number

  constructor(status: number, message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super('ERR_RESPONSE', message, options)
    this.status = status
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter
  }
}

/**
 * The request did not reach the server or got no answer (DNS failure, connection refused or
 * reset). `cause` holds the runtime's own error.
 *
 * Code: `ERR_NETWORK`
 *
 * @example
 * ```ts
 * import { NetworkError } from 'authcode'
 * try {
 *   await client.userinfo(accessToken)
 * } catch (err) {
 *   if (err instanceof NetworkError) console.warn('identity provider unreachable:', err.message)
 * }
 * ```
 */
export class NetworkError extends AuthcodeError {
  declare readonly code: 'ERR_NETWORK'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETWORK', message, options)
  }
}

/**
 * No answer came within `timeoutMs` (default 10 000 ms).
 *
 * Code: `ERR_TIMEOUT`
 *
 * @example
 * ```ts
 * import { TokenClient, TimeoutError } from 'authcode'
 * const client = new TokenClient({ domain, clientId, clientSecret, timeoutMs: 3_000 })
 * try {
 *   await client.clientCredentials({ audience: 'https://api.example' })
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.warn(err.message) // names the endpoint and the limit
 * }
 * ```
 */
export class TimeoutError extends AuthcodeError {
  declare readonly code: 'ERR_TIMEOUT'
  constructor(message: string) {
    super('ERR_TIMEOUT', message)
  }
}

/**
 * The caller's own `AbortSignal` aborted the request. `cause` is the signal's reason.
 * Its `name` is `"AbortError"`, as for `fetch`.
 *
 * Code: `ERR_ABORTED`
 *
 * @example
 * ```ts
 * import { AbortError } from 'authcode'
 * const controller = new AbortController()
 * const pending = client.refresh({ refreshToken, signal: controller.signal })
 * controller.abort()
 * const err = await pending.catch((e: unknown) => e)
 * err instanceof AbortError // true
 * ```
 */
export class AbortError extends AuthcodeError {
  declare readonly code: 'ERR_ABORTED'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options)
  }
}

/**
 * The ID token failed a check: issuer, audience, expiry, issued-at, nonce, `azp`,
 * `auth_time`/`max_age`, or the Auth0 organization (`org_id`/`org_name`).
 *
 * Code: `ERR_ID_TOKEN`
 *
 * @example
 * ```ts
 * import { IdTokenError } from 'authcode'
 * try {
 *   await client.exchangeCode({ code, redirectUri, codeVerifier, nonce, organization: 'org_123' })
 * } catch (err) {
 *   if (err instanceof IdTokenError) console.warn(err.message) // e.g. says org_id does not match
 * }
 * ```
 */
export class IdTokenError extends AuthcodeError {
  declare readonly code: 'ERR_ID_TOKEN'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ID_TOKEN', message, options)
  }
}

/**
 * There are no usable tokens for this user: none stored, no refresh token, or the refresh
 * token was rejected. Send the user through login again.
 *
 * Code: `ERR_LOGIN_REQUIRED`
 *
 * @example
 * ```ts
 * import { LoginRequiredError } from 'authcode'
 * try {
 *   const token = await manager.getAccessToken(sessionId)
 * } catch (err) {
 *   if (err instanceof LoginRequiredError) return Response.redirect('/login')
 *   throw err
 * }
 * ```
 */
export class LoginRequiredError extends AuthcodeError {
  declare readonly code: 'ERR_LOGIN_REQUIRED'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LOGIN_REQUIRED', message, options)
  }
}
