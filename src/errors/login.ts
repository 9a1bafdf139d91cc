// Errors of the login's return: the provider's error response, a state mismatch, a malformed callback.
import { AuthcodeError } from './base.js'

/**
 * The authorization server sent the user back with `error=...` (for example `access_denied`
 * when the user declined consent).
 *
 * Code: `ERR_AUTHORIZATION`
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
 * Code: `ERR_STATE_MISMATCH`
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
 * Code: `ERR_CALLBACK`
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
