// The base of every authcode error (a stable `code`; JSON and inspect output without secrets) and ConfigError.

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
  /** The class name, e.g. `"OAuthError"`. */
  name: string
  /** The stable error code, e.g. `"ERR_OAUTH"`. */
  code: AuthcodeErrorCode
  /** The message, with no secret in it. */
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
 * Code: each subclass has its own, one of {@link AuthcodeErrorCode}.
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
 * Code: `ERR_CONFIG`
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
