// errorResponse: the HTTP answer an API gives for a verification failure, in one place.
import { IdTokenError, InsufficientScopeError, InvalidTokenError, LogoutTokenError, NetworkError, ResponseError, TimeoutError } from '../errors.js'

/**
 * Turns a verification error into the response an API should send, or `undefined` for an
 * error that is your bug (rethrow it):
 * - {@link InvalidTokenError} → 401, {@link InsufficientScopeError} → 403, each with its
 *   `WWW-Authenticate` challenge and a JSON body `{ error, error_description }` (RFC 6750);
 * - {@link IdTokenError} (an API that takes ID tokens through `verifyIdToken`, e.g. for
 *   Google, whose access tokens are opaque) → 401 `invalid_token` with a Bearer challenge;
 *   {@link LogoutTokenError} (a back-channel logout route) → 400 `invalid_request`;
 * - {@link ResponseError}/{@link NetworkError}/{@link TimeoutError} (the issuer's keys could
 *   not be fetched; the token may be fine) → 503 `temporarily_unavailable` with `Retry-After`.
 * The body never contains the token.
 *
 * @example
 * ```ts
 * import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
 * const verify = createAccessTokenVerifier({ domain, audience })
 * export async function GET(request: Request): Promise<Response> {
 *   try {
 *     const claims = await verify(request.headers.get('authorization'), { requiredScopes: ['read:contacts'] })
 *     return Response.json({ hello: claims.sub })
 *   } catch (err) {
 *     const response = errorResponse(err)
 *     if (response) return response
 *     throw err
 *   }
 * }
 * ```
 */
export function errorResponse(err: unknown): Response | undefined {
  if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) {
    const body = err.error === undefined ? { error_description: err.message } : { error: err.error, error_description: err.message }
    return Response.json(body, { status: err.status, headers: { 'www-authenticate': err.wwwAuthenticate, 'cache-control': 'no-store' } })
  }
  if (err instanceof IdTokenError) {
    return Response.json(
      { error: 'invalid_token', error_description: err.message },
      { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"', 'cache-control': 'no-store' } },
    )
  }
  if (err instanceof LogoutTokenError) {
    return Response.json({ error: 'invalid_request', error_description: err.message }, { status: 400, headers: { 'cache-control': 'no-store' } })
  }
  if (err instanceof ResponseError || err instanceof NetworkError || err instanceof TimeoutError) {
    return Response.json(
      { error: 'temporarily_unavailable', error_description: 'The access token could not be checked right now; try again' },
      { status: 503, headers: { 'retry-after': '5', 'cache-control': 'no-store' } },
    )
  }
  return undefined
}
