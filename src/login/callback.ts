// validateCallback: checks the redirect back from /authorize before any code is exchanged.
import { AuthorizationError, CallbackError, ConfigError, StateMismatchError } from '../errors.js'

/**
 * What {@link validateCallback} compares the callback with; an {@link AuthorizationTransaction} fits.
 *
 * @example
 * ```ts
 * const expected: ExpectedCallback = { state: savedState, issuer: 'https://my-tenant.eu.auth0.com/' }
 * ```
 */
export interface ExpectedCallback {
  /** The `state` sent on the authorization request. */
  state: string
  /** The provider's issuer; when the callback carries `iss` it must equal this (RFC 9207). */
  issuer?: string
  /** Refuse a callback without `iss` (set when the provider advertises RFC 9207 support). */
  requireIssuer?: boolean
}

/**
 * The checked result of {@link validateCallback}.
 *
 * @example
 * ```ts
 * const { code, state }: CallbackResult = validateCallback(request.url, transaction)
 * ```
 */
export interface CallbackResult {
  /** The authorization code, to exchange for tokens. */
  code: string
  /** The callback's `state`, already checked against the expected one. */
  state: string
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ.
 * UTF-16 code units are compared, not an encoding of them: encoding maps every lone surrogate
 * to U+FFFD, which would make different strings equal.
 */
function timingSafeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

function toParams(callback: string | URL | URLSearchParams): URLSearchParams {
  if (callback instanceof URLSearchParams) return callback
  if (callback instanceof URL) return callback.searchParams
  if (typeof callback !== 'string') throw new CallbackError('The callback must be a URL, a query string or URLSearchParams')
  const text = callback.split('#', 1)[0] ?? ''
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      return new URL(text).searchParams
    } catch {
      throw new CallbackError('The callback URL could not be parsed')
    }
  }
  // "?code=…", "/callback?code=…" or "com.app:/cb?code=…": the query follows the first "?"
  // when nothing before it looks like a parameter; otherwise the whole text is the query.
  const queryStart = text.indexOf('?')
  const beforeQuery = queryStart === -1 ? '' : text.slice(0, queryStart)
  if (queryStart !== -1 && !/[=&]/.test(beforeQuery)) return new URLSearchParams(text.slice(queryStart + 1))
  return new URLSearchParams(text)
}

/**
 * Checks the callback from `/authorize` and returns its code. Checks, in order: no parameter
 * is repeated; `iss` (when present, or when `requireIssuer`) equals the issuer (RFC 9207);
 * `state` equals the expected one (compared in constant time); no `error`; a `code` is present.
 * A fragment is ignored.
 *
 * Accepts the full callback URL, its query string, or `URLSearchParams` (for example the
 * body of a `response_mode=form_post` callback).
 *
 * @throws {CallbackError} for a repeated parameter, a wrong or missing `iss`, or no code.
 * @throws {StateMismatchError} when `state` is missing or differs.
 * @throws {AuthorizationError} when the server sent `error` (e.g. `access_denied`).
 * @throws {ConfigError} when `expected.state` is empty.
 * @example
 * ```ts
 * import { validateCallback } from 'authcode'
 * const { code } = validateCallback('https://app.example.com/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyzABC123', {
 *   state: 'xyzABC123',
 * })
 * ```
 */
export function validateCallback(callback: string | URL | URLSearchParams, expected: ExpectedCallback): CallbackResult {
  if (typeof expected !== 'object' || expected === null || typeof expected.state !== 'string' || expected.state === '') {
    throw new ConfigError('state', 'the expected state must be the non-empty value sent on the authorization request')
  }
  if (expected.requireIssuer === true && (typeof expected.issuer !== 'string' || expected.issuer === '')) {
    throw new ConfigError('issuer', 'requireIssuer needs the expected issuer to compare "iss" with')
  }
  const params = toParams(callback)
  const seen = new Set<string>()
  for (const name of params.keys()) {
    if (seen.has(name)) throw new CallbackError(`The callback repeats the "${name}" parameter`)
    seen.add(name)
  }

  const iss = params.get('iss')
  if (iss !== null) {
    if (expected.issuer !== undefined && iss !== expected.issuer) {
      throw new CallbackError('The callback\'s "iss" is not the expected issuer: the response may come from another server (mix-up attack, RFC 9207)')
    }
  } else if (expected.requireIssuer === true) {
    throw new CallbackError('The callback has no "iss" parameter, which this provider always sends (RFC 9207)')
  }

  const state = params.get('state')
  if (state === null || state === '') {
    throw new StateMismatchError('The callback has no "state": it was not started by this login (possible CSRF); start the login again')
  }
  if (!timingSafeEqual(state, expected.state)) {
    throw new StateMismatchError('The callback\'s "state" does not match this login (possible CSRF, or an old login tab); start the login again')
  }

  const error = params.get('error')
  if (error !== null) {
    throw new AuthorizationError(error, params.get('error_description') ?? undefined, params.get('error_uri') ?? undefined)
  }

  const code = params.get('code')
  if (code === null || code === '') throw new CallbackError('The callback has no "code" parameter')
  return { code, state }
}
