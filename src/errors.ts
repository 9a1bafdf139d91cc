// The error classes of authcode: one base class, a stable `code` on each, no secret in any of them.
// Each class lives with its kind in errors/; this file gathers them, with the union that narrows on `code`.
import type { InsufficientScopeError, InvalidTokenError, LogoutTokenError } from './errors/api.js'
import type { ConfigError } from './errors/base.js'
import type { AuthorizationError, CallbackError, StateMismatchError } from './errors/login.js'
import type { AbortError, IdTokenError, LoginRequiredError, NetworkError, OAuthError, ResponseError, TimeoutError } from './errors/requests.js'
import type { LockTimeoutError, SealError } from './errors/sessions.js'

export { AuthcodeError, ConfigError, type AuthcodeErrorCode, type AuthcodeErrorJSON } from './errors/base.js'
export { AuthorizationError, CallbackError, StateMismatchError } from './errors/login.js'
export { AbortError, IdTokenError, LoginRequiredError, NetworkError, OAuthError, ResponseError, TimeoutError } from './errors/requests.js'
export { InsufficientScopeError, InvalidTokenError, LogoutTokenError } from './errors/api.js'
export { LockTimeoutError, SealError } from './errors/sessions.js'

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
