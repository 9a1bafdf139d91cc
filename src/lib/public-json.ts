// One GET of a public JSON document (a JWKS, a discovery document): authcode/api's only request.
import { AuthcodeError, NetworkError, ResponseError, TimeoutError } from '../errors.js'
import { deadline, describeUrl, failureReason, readCapped } from './http.js'

/**
 * One GET of a public JSON document (a JWKS, a discovery document) for authcode/api: the body
 * read in full and capped at 1 MiB, under one timeout for headers and body; tried a second
 * time after 100 ms when the network failed, or when the server answered 429/503 (after its
 * `Retry-After`, if that is at most 1 s). Small on purpose: it is the only request a verifier
 * makes, and lib/http.ts's `send` policy would double the verifier's own code in an API's bundle.
 * Non-200 answers come back with no body; a body that is not JSON comes back undefined.
 *
 * @throws {TimeoutError} no full answer within `timeoutMs`.
 * @throws {NetworkError} the server could not be reached.
 * @throws {ResponseError} an empty body, or one over 1 MiB.
 */
export async function getPublicJson(
  fetchFn: typeof fetch,
  url: string,
  timeoutMs: number,
  redirect?: 'manual',
  retry = true,
): Promise<{ status: number; body: unknown }> {
  const where = describeUrl(url)
  const { controller, expired, timer } = deadline(timeoutMs, url)
  let status = 0
  let delay = 100
  try {
    const res = await Promise.race([fetchFn(url, { headers: { accept: 'application/json' }, signal: controller.signal, ...(redirect && { redirect }) }), expired])
    status = res.status
    if (status !== 200) {
      res.body?.cancel().catch(() => {})
      // Delta-seconds only: a wait of at most 1 s is all this retry allows anyway.
      const after = Number(res.headers.get('retry-after') ?? 0)
      if (retry && (status === 429 || status === 503) && after <= 1) {
        delay = Math.max(delay, after * 1000)
        throw new ResponseError(status, '')
      }
      return { status, body: undefined }
    }
    const bytes = await Promise.race([readCapped(res, url), expired])
    if (bytes.byteLength === 0) throw new ResponseError(status, `${where} answered with an empty body`)
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      // not JSON: the caller says what it expected
    }
    return { status, body }
  } catch (err) {
    if (err instanceof TimeoutError || (err instanceof AuthcodeError && status === 200)) throw err
    if (retry) {
      clearTimeout(timer)
      // No caller signal to honour here, so a plain timer rather than sleep() and its abort handling.
      await new Promise((resolve) => setTimeout(resolve, delay))
      return getPublicJson(fetchFn, url, timeoutMs, redirect, false)
    }
    if (err instanceof AuthcodeError) throw err
    // Only the runtime's error code goes in the message. The cause is the error itself: this
    // request (a GET of public keys or metadata) carries no secret or token it could quote.
    throw new NetworkError(`Could not reach ${where} (${failureReason(err)})`, { cause: err })
  } finally {
    clearTimeout(timer)
  }
}

