// The one place that calls fetch: per-request timeout, the caller's signal, bounded retries, Retry-After.
import { AbortError, AuthcodeError, NetworkError, ResponseError, TimeoutError, bareCopy } from './errors.js'

/** Transport settings shared by every request of one client. Defaults live in config.ts. */
export interface HttpSettings {
  fetch: typeof fetch
  timeoutMs: number
  /** Extra attempts after the first, for 429/503 and for requests that never left. */
  retries: number
  /** The longest wait between attempts; a longer `Retry-After` is not waited for. */
  maxRetryDelayMs: number
}

/** What one call allows. */
export interface RequestPolicy {
  /**
   * True when sending the request twice does no harm (GET, revocation). A code exchange or a
   * refresh is not: it is retried only when the server said 429/503 (it did not act on it) or
   * the connection was never made.
   */
  idempotent: boolean
  signal?: AbortSignal | undefined
  /** Values to redact from any error text kept on a NetworkError's cause. */
  secrets?: ReadonlyArray<string | undefined>
}

type FetchInit = Omit<RequestInit, 'signal'>

// Errors whose runtime code means no byte reached the server, so even a code exchange may retry.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const own = (err as { code?: unknown }).code
  if (typeof own === 'string') return own
  return errorCode((err as { cause?: unknown }).cause)
}

function neverSent(err: unknown): boolean {
  const code = errorCode(err)
  if (code !== undefined) return NEVER_SENT.has(code)
  return /connection refused|failed to lookup|dns error/i.test(String((err as { message?: unknown })?.message))
}

/** Where a request went, for messages: origin and path, never the query (it may hold a token). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url)
    return u.origin + u.pathname
  } catch {
    return 'the server'
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  // Not valid per RFC 9110 but seen in the wild: fractional seconds, rounded up. (Date.parse
  // would read "1.5" as a date in the past, meaning "retry now".)
  if (/^\d+\.\d+$/.test(trimmed)) return Math.ceil(Number(trimmed))
  // An HTTP-date names a weekday and a month; anything else is not one.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - now) / 1000))
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal))
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError(signal!))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The request was aborted by the caller', { cause: signal.reason })
}

/**
 * One attempt: fetch with a timer that covers the headers and the whole body. The body is
 * read here so a server that stalls mid-body still times out; the caller gets a fresh
 * Response over the bytes.
 */
async function attempt(settings: HttpSettings, url: string, init: FetchInit, signal?: AbortSignal): Promise<Response> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, settings.timeoutMs)
  const onAbort = () => controller.abort(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    // Not every fetch stops reading a body when its signal aborts (msw does not), so the
    // timer races the body as well as the headers.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })
    })
    aborted.catch(() => {})
    const res = await Promise.race([settings.fetch(url, { ...init, signal: controller.signal }), aborted])
    // An opaque redirect (status 0) cannot be rebuilt; nothing reads its body anyway.
    if (res.status < 200 || res.status > 599) return res
    const empty = res.status === 204 || res.status === 205 || res.status === 304
    const body = empty ? null : await Promise.race([readCapped(res, url), aborted]).catch((err: unknown) => {
      res.body?.cancel().catch(() => {})
      throw err
    })
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
  } catch (err) {
    if (err instanceof AuthcodeError) throw err
    if (timedOut) {
      throw new TimeoutError(`No answer from ${describeUrl(url)} within ${settings.timeoutMs} ms (timeoutMs)`)
    }
    if (signal?.aborted) throw abortError(signal)
    throw err
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** No endpoint we call has a reason to send more: a larger body is refused, not buffered. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

function tooLarge(res: Response, url: string): ResponseError {
  return new ResponseError(res.status, `${describeUrl(url)} answered with a body over ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`)
}

/** Reads a body, refusing it once it passes MAX_RESPONSE_BYTES (declared or actual). */
async function readCapped(res: Response, url: string): Promise<ArrayBuffer> {
  const declared = res.headers.get('content-length')
  if (Number(declared) > MAX_RESPONSE_BYTES) {
    res.body?.cancel().catch(() => {}) // not awaited: some streams never settle a cancel
    throw tooLarge(res, url)
  }
  // A declared length within the cap is what fetch will deliver (it fails on a mismatch), so
  // the body can be read in one go; only an undeclared length needs counting chunk by chunk.
  if (declared !== null && /^\d+$/.test(declared)) return res.arrayBuffer()
  if (res.body === null) return new ArrayBuffer(0)
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > MAX_RESPONSE_BYTES) {
      reader.cancel().catch(() => {})
      throw tooLarge(res, url)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out.buffer
}

function backoff(attemptIndex: number): number {
  const base = 100 * 2 ** attemptIndex
  return base + Math.floor(Math.random() * base)
}

/**
 * Sends a request under the client's timeout and retry policy.
 *
 * @throws {TimeoutError} no full answer within `timeoutMs`.
 * @throws {AbortError} the caller's signal aborted.
 * @throws {NetworkError} the server could not be reached.
 */
export async function send(settings: HttpSettings, url: string, init: FetchInit, policy: RequestPolicy): Promise<Response> {
  const { signal } = policy
  if (signal?.aborted) throw abortError(signal)
  for (let i = 0; ; i++) {
    let res: Response
    try {
      res = await attempt(settings, url, init, signal)
    } catch (err) {
      if (err instanceof AuthcodeError) throw err // timeout, abort, a body over the cap
      if (i < settings.retries && (policy.idempotent || neverSent(err))) {
        await sleep(Math.min(backoff(i), settings.maxRetryDelayMs), signal)
        continue
      }
      // Only the runtime's error code goes in the message: a custom fetch's own text may quote
      // the request. The cause keeps a redacted copy for debugging.
      const reason = errorCode(err) ?? (err instanceof Error ? err.name : 'unknown error')
      throw new NetworkError(`Could not reach ${describeUrl(url)} (${reason})`, { cause: bareCopy(err, policy.secrets) })
    }
    if ((res.status === 429 || res.status === 503) && i < settings.retries) {
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
      // Our own backoff is capped; a server's longer Retry-After is honoured by not retrying.
      const delay = retryAfter === undefined ? Math.min(backoff(i), settings.maxRetryDelayMs) : retryAfter * 1000
      if (delay <= settings.maxRetryDelayMs) {
        await sleep(delay, signal)
        continue
      }
    }
    return res
  }
}

/** The same policy as {@link send}, shaped as oauth4webapi's `customFetch` option. */
export function customFetch(
  settings: HttpSettings,
  policy: RequestPolicy,
): (url: string, options: { method: string; headers: Record<string, string>; body?: unknown; redirect?: 'manual' }) => Promise<Response> {
  return (url, options) =>
    send(
      settings,
      url,
      { method: options.method, headers: options.headers, body: options.body as BodyInit | null, redirect: options.redirect ?? 'manual' },
      policy,
    )
}
