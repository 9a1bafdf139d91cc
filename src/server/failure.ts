// A failed callback: a reason of its own for each way it fails, a sentence on the likely cause, and the plain page that says so.
import { AuthcodeError, AuthorizationError, CallbackError, IdTokenError, OAuthError, SealError, StateMismatchError } from '../errors.js'

/**
 * Why a callback failed, as {@link CallbackFailure.reason}:
 * - `missing_transaction`: no login was started in this browser for this callback (the cookie
 *   was blocked, the login began on another domain, or it already finished in another tab);
 * - `expired_transaction`: the login took more than 10 minutes;
 * - `invalid_transaction`: the transaction cookie was changed or sealed with another secret;
 * - `replayed_transaction`: this callback was already used;
 * - `state_mismatch`, `invalid_callback`: the callback is not the answer to this login;
 * - `provider_error`: the provider refused the login (`error=…`, e.g. `access_denied`);
 * - `exchange_failed`: the provider refused the code (`invalid_grant`, `invalid_client`, …);
 * - `invalid_id_token`: the ID token failed its checks (nonce, issuer, audience, claims);
 * - `provider_unreachable`: the provider did not answer in time or could not be reached.
 *
 * @example
 * ```ts
 * const reason: CallbackFailureReason = 'missing_transaction'
 * ```
 */
export type CallbackFailureReason =
  | 'missing_transaction'
  | 'expired_transaction'
  | 'invalid_transaction'
  | 'replayed_transaction'
  | 'state_mismatch'
  | 'invalid_callback'
  | 'provider_error'
  | 'exchange_failed'
  | 'invalid_id_token'
  | 'provider_unreachable'

/**
 * A failed callback, given to `hooks.onCallbackError` to render. Holds no secret.
 *
 * @example
 * ```ts
 * const onCallbackError = (failure: CallbackFailure) =>
 *   new Response(`Login failed (${failure.reason}): ${failure.message}`, { status: failure.status })
 * ```
 */
export interface CallbackFailure {
  /** What went wrong, as a stable code. */
  readonly reason: CallbackFailureReason
  /** 400, or 502 when the provider could not be reached. */
  readonly status: number
  /** A sentence on what happened and its likely cause, safe to show. */
  readonly message: string
  /** The provider's `error` code, for `provider_error` and `exchange_failed`. */
  readonly error?: string
  /** The typed error underneath, when there is one. */
  readonly cause?: AuthcodeError
}

const SENTENCES: Record<CallbackFailureReason, string> = {
  missing_transaction:
    'No login was started in this browser for this callback: the login cookie did not come back. It may have been blocked (SameSite or privacy settings, a proxy), or the login began on another domain or finished in another tab.',
  expired_transaction: 'The login took more than 10 minutes.',
  invalid_transaction: 'The login cookie was changed or sealed with another secret.',
  replayed_transaction: 'This login was already completed; a callback works once.',
  state_mismatch: 'The callback does not belong to the login this browser started.',
  invalid_callback: 'The callback is malformed or comes from another server than the login went to.',
  provider_error: 'The identity provider did not log you in.',
  exchange_failed: 'The identity provider refused to complete the login.',
  invalid_id_token: 'The identity provider sent an ID token that failed its checks.',
  provider_unreachable: 'The identity provider could not be reached. Try again in a moment.',
}

/** A failure of `reason`, with its sentence. */
export function failure(reason: CallbackFailureReason, cause?: AuthcodeError, error?: string): CallbackFailure {
  return {
    reason,
    status: reason === 'provider_unreachable' ? 502 : 400,
    message: SENTENCES[reason],
    ...(error !== undefined && { error }),
    ...(cause !== undefined && { cause }),
  }
}

/** What an error from opening the transaction, validating the callback or the exchange means. */
export function failureOf(err: unknown): CallbackFailure {
  if (err instanceof SealError) {
    const reason = err.reason === 'expired' ? 'expired_transaction' : err.reason === 'replayed' ? 'replayed_transaction' : 'invalid_transaction'
    return failure(reason, err)
  }
  if (err instanceof StateMismatchError) return failure('state_mismatch', err)
  if (err instanceof AuthorizationError) return failure('provider_error', err, err.error)
  if (err instanceof CallbackError) return failure('invalid_callback', err)
  if (err instanceof OAuthError) return failure('exchange_failed', err, err.error)
  if (err instanceof IdTokenError) return failure('invalid_id_token', err)
  if (err instanceof AuthcodeError && err.code !== 'ERR_CONFIG') return failure('provider_unreachable', err)
  throw err
}

/**
 * The default page of a failed callback: the reason, the sentence, a link to try again. Nothing
 * on it comes from the request but the provider's error code, shown only when it is a plain
 * code; the sentences are ours and the login path passed the routes' check (no quotes or
 * angle brackets), so no escaping is needed.
 */
export function failurePage(f: CallbackFailure, loginPath: string): Response {
  // The provider's code only when it looks like one: a crafted callback URL must not write on the page.
  const error = f.error !== undefined && /^[a-z_]{1,64}$/.test(f.error) ? ` <code>${f.error}</code>` : ''
  const body = `<!doctype html><meta charset="utf-8"><title>Login failed</title><h1>Login failed</h1><p><code>${f.reason}</code>${error}</p><p>${f.message}</p><p><a href="${loginPath}">Log in again</a></p>`
  return new Response(body, {
    status: f.status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'" },
  })
}
