// Errors of kept state: a seal that does not open, a lock not had in time.
import { AuthcodeError } from './base.js'

/**
 * A sealed value (cookie) could not be opened: it was tampered with or made with another
 * secret (`reason: 'invalid'`), its time is up (`'expired'`), or a one-time transaction was
 * already opened (`'replayed'`): start the login again. `'busy'`: the replay memory of
 * `createTransactionCookie` is full of seals that have not expired yet, so this one
 * could not be recorded; the seal is untouched, answer 503 and let the user retry.
 *
 * Code: `ERR_SEAL`
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
 * Code: `ERR_LOCK_TIMEOUT`
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
