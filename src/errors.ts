// The error classes of authcode: one base class, a stable `code` on each, no secret in any of them.
import { challenge } from './lib/www-authenticate.js'

/**
 * Every stable error code that authcode throws. Use it with `switch (err.code)` on an
 * {@link AnyAuthcodeError} to narrow to the class.
 *
 * @example
 * ```ts
 * const retryable: AuthcodeErrorCode[] = ['ERR_NETWORK', 'ERR_TIMEOUT']
 * if (err instanceof AuthcodeError && retryable.includes(err.code)) scheduleRetry()
 * ```
 */
export type AuthcodeErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_AUTHORIZATION'
  | 'ERR_STATE_MISMATCH'
  | 'ERR_CALLBACK'
  | 'ERR_OAUTH'
  | 'ERR_RESPONSE'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_ID_TOKEN'
  | 'ERR_LOGIN_REQUIRED'
  | 'ERR_INVALID_TOKEN'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_SEAL'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_LOGOUT_TOKEN'

/**
 * The plain, secret-free form of an error, as `JSON.stringify(err)` gives it.
 *
 * @example
 * ```ts
 * const logged: AuthcodeErrorJSON = err.toJSON() // { name: 'OAuthError', code: 'ERR_OAUTH', message, error, status }
 * ```
 */
export interface AuthcodeErrorJSON {
  name: string
  code: AuthcodeErrorCode
  message: string
  [field: string]: string | number | boolean | undefined
}

/**
 * The base class of every error authcode throws.
 *
 * `code` is stable across versions; `message` is for people and may change. When it wraps
 * another error, `cause` holds a copy of it with the same name and message but without
 * anything attached that could carry a token (no response bodies).
 *
 * @example
 * ```ts
 * import { AuthcodeError, exchangeCode } from 'authcode'
 * try {
 *   await exchangeCode(config, { code, redirectUri, codeVerifier })
 * } catch (err) {
 *   if (err instanceof AuthcodeError) console.error(err.code, err.message) // never a secret
 *   throw err
 * }
 * ```
 */
export class AuthcodeError extends Error {
  /** A stable string that names the kind of failure. */
  readonly code: AuthcodeErrorCode

  constructor(code: AuthcodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.name = new.target.name
  }

  /** The error as a plain object with no cause chain, safe to log or send. */
  toJSON(): AuthcodeErrorJSON {
    const out: AuthcodeErrorJSON = { name: this.name, code: this.code, message: this.message }
    for (const [key, value] of Object.entries(this)) {
      if (key !== 'code' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
        out[key] = value
      }
    }
    return out
  }
}

/**
 * A configuration value or function argument is missing or wrong. `field` names it.
 *
 * @example
 * ```ts
 * import { buildAuthorizeUrl, ConfigError } from 'authcode'
 * try {
 *   buildAuthorizeUrl({ domain: 'tenant.auth0.com', clientId: 'abc', redirectUri: '/callback', state: 's' })
 * } catch (err) {
 *   if (err instanceof ConfigError) err.field // "redirectUri"
 * }
 * ```
 */
export class ConfigError extends AuthcodeError {
  declare readonly code: 'ERR_CONFIG'
  /** The name of the offending option, e.g. `"redirectUri"` or `"clientSecret"`. */
  readonly field: string

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', `Invalid "${field}": ${message}`, options)
    this.field = field
  }
}

/**
 * The authorization server sent the user back with `error=...` (for example `access_denied`
 * when the user declined consent).
 *
 * @example
 * ```ts
 * import { validateCallback, AuthorizationError } from 'authcode'
 * try {
 *   validateCallback('https://app.example/callback?error=access_denied&state=s', { state: 's' })
 * } catch (err) {
 *   if (err instanceof AuthorizationError && err.error === 'access_denied') {
 *     // show "you declined" instead of an error page
 *   }
 * }
 * ```
 */
export class AuthorizationError extends AuthcodeError {
  declare readonly code: 'ERR_AUTHORIZATION'
  /** The `error` parameter of the callback, e.g. `"access_denied"`. */
  readonly error: string
  /** The `error_description` parameter, when the server sent one. */
  readonly errorDescription?: string
  /** The `error_uri` parameter, when the server sent one. */
  readonly errorUri?: string

  constructor(error: string, errorDescription?: string, errorUri?: string) {
    super('ERR_AUTHORIZATION', authorizationMessage(error, errorDescription))
    this.error = error
    if (errorDescription !== undefined) this.errorDescription = errorDescription
    if (errorUri !== undefined) this.errorUri = errorUri
  }
}

const AUTHORIZATION_HINTS: Record<string, string> = {
  access_denied: 'the user (or a rule/action) denied the request',
  login_required: 'no session exists for prompt=none; send the user to log in interactively',
  consent_required: 'the user must consent; retry without prompt=none',
  interaction_required: 'the user must interact with the login page; retry without prompt=none',
  unauthorized_client:
    'enable the "Authorization Code" grant type for this application, and check the allowed callback URLs',
}

function authorizationMessage(error: string, description?: string): string {
  const hint = AUTHORIZATION_HINTS[error]
  return `The authorization server returned error "${error}"${description ? `: ${description}` : ''}${hint ? ` (${hint})` : ''}`
}

/**
 * The `state` on the callback is missing or is not the one this login started with: the
 * callback may be forged (CSRF) or belongs to another login attempt.
 *
 * @example
 * ```ts
 * import { validateCallback, StateMismatchError } from 'authcode'
 * try {
 *   validateCallback(request.url, { state: transaction.state })
 * } catch (err) {
 *   if (err instanceof StateMismatchError) return new Response('Please log in again', { status: 400 })
 *   throw err
 * }
 * ```
 */
export class StateMismatchError extends AuthcodeError {
  declare readonly code: 'ERR_STATE_MISMATCH'
  constructor(message: string) {
    super('ERR_STATE_MISMATCH', message)
  }
}

/**
 * The callback or invitation URL is malformed: no `code`, a repeated parameter, or an `iss`
 * that is not the expected issuer (RFC 9207, a mix-up attack).
 *
 * @example
 * ```ts
 * import { parseInvitationUrl, CallbackError } from 'authcode'
 * try {
 *   parseInvitationUrl('https://app.example/invite?organization=org_1')
 * } catch (err) {
 *   if (err instanceof CallbackError) err.message // says "invitation" is missing
 * }
 * ```
 */
export class CallbackError extends AuthcodeError {
  declare readonly code: 'ERR_CALLBACK'
  constructor(message: string) {
    super('ERR_CALLBACK', message)
  }
}

/**
 * An endpoint answered with an OAuth error body `{ error, error_description }` (or a
 * `WWW-Authenticate` challenge). `status` is the HTTP status.
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

/**
 * The access token presented to an API is missing, malformed, expired or not for this API.
 * Answer 401 with `wwwAuthenticate` as the `WWW-Authenticate` header (RFC 6750).
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
 * A sealed value (cookie) could not be opened: it was tampered with or made with another
 * secret (`reason: 'invalid'`), its time is up (`'expired'`), or a one-time transaction was
 * already opened (`'replayed'`): start the login again. `'busy'`: the replay memory of
 * `createTransactionCookie` is full of seals that have not expired yet, so this one
 * could not be recorded; the seal is untouched, answer 503 and let the user retry.
 *
 * @example
 * ```ts
 * import { SealError } from 'authcode'
 * try {
 *   ({ transaction } = await txCookie.take(request.headers.get('cookie')))
 * } catch (err) {
 *   if (err instanceof SealError && err.reason === 'busy') return new Response('Busy, try again', { status: 503 })
 *   if (err instanceof SealError) return Response.redirect('/login') // err.reason says why
 *   throw err
 * }
 * ```
 */
export class SealError extends AuthcodeError {
  declare readonly code: 'ERR_SEAL'
  /** Why it could not be opened. */
  readonly reason: 'invalid' | 'expired' | 'replayed' | 'busy'

  constructor(reason: 'invalid' | 'expired' | 'replayed' | 'busy', message: string, options?: { cause?: unknown }) {
    super('ERR_SEAL', message, options)
    this.reason = reason
  }
}

/**
 * A storage lock (`TokenStorage.withLock`) could not be taken within its bounded wait: another
 * instance held it too long. Nothing was refreshed; the stored tokens are untouched.
 *
 * @example
 * ```ts
 * import { LockTimeoutError } from 'authcode'
 * try {
 *   await manager.getAccessToken(sessionId)
 * } catch (err) {
 *   if (err instanceof LockTimeoutError) return new Response('Busy, try again', { status: 503 })
 *   throw err
 * }
 * ```
 */
export class LockTimeoutError extends AuthcodeError {
  declare readonly code: 'ERR_LOCK_TIMEOUT'
  constructor(message: string) {
    super('ERR_LOCK_TIMEOUT', message)
  }
}

/**
 * A back-channel logout token (OpenID Connect Back-Channel Logout 1.0) failed a check:
 * signature, issuer, audience, `events`, `sub`/`sid`, a forbidden `nonce`, or replay.
 * Answer the provider 400.
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

/**
 * Any error authcode throws, as a union: `switch (err.code)` narrows it to the class.
 *
 * @example
 * ```ts
 * import { AuthcodeError, type AnyAuthcodeError } from 'authcode'
 * function describe(err: AnyAuthcodeError): string {
 *   switch (err.code) {
 *     case 'ERR_OAUTH': return `server said ${err.error} (${err.status})`
 *     case 'ERR_TIMEOUT': return 'too slow'
 *     default: return err.message
 *   }
 * }
 * ```
 */
export type AnyAuthcodeError =
  | ConfigError
  | AuthorizationError
  | StateMismatchError
  | CallbackError
  | OAuthError
  | ResponseError
  | NetworkError
  | TimeoutError
  | AbortError
  | IdTokenError
  | LoginRequiredError
  | InvalidTokenError
  | InsufficientScopeError
  | SealError
  | LockTimeoutError
  | LogoutTokenError
