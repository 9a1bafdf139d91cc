// The one place that calls fetch for the client (public-json.ts fetches authcode/api's keys): per-request timeout, the caller's signal, bounded retries, Retry-After.
import { AbortError, AuthcodeError, NetworkError, ResponseError, TimeoutError } from '../errors.js'
import { bareCopy, redact } from './redact.js'

/** The largest delay setTimeout honours: it fires at once for anything above 2^31 - 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647
/** The default `timeoutMs` of a request: 10 s for the headers (and, for the provider's answers, the body). */
export const DEFAULT_TIMEOUT_MS = 10_000

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
interface RequestPolicy {
  /**
   * True when sending the request twice does no harm (GET, revocation). A code exchange or a
   * refresh is not: it is retried only when the server said 429/503 (it did not act on it) or
   * the connection was never made.
   */
  idempotent: boolean
  signal?: AbortSignal | undefined
  /** Values to redact from any error text kept on a NetworkError's cause. */
  secrets?: ReadonlyArray<string | undefined>
  /**
   * Given by a caller that reads the body itself and then calls {@link Hold.release}: a reply
   * with a declared length within the cap is handed back as it came, its body still under the
   * attempt's timer (no copy), and the timer's hold is pushed here. Without it every body is
   * read under the timer and handed back as a fresh Response.
   */
  holds?: Hold[]
}

/** The timer of an attempt whose body the caller reads: race `expired`, then `release()`. */
export interface Hold {
  /** Rejects with the TimeoutError (or AbortError) that ends the attempt. */
  readonly expired: Promise<never>
  /** Stops the timer and the caller's-signal listener. */
  release(): void
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

/**
 * What a network failure says in a message: the runtime's error code (ECONNRESET,
 * UND_ERR_SOCKET, …) of the error or its causes, else its name. Never its text, which a
 * custom fetch may have filled with the request.
 */
export function failureReason(err: unknown): string {
  return errorCode(err) ?? (err instanceof Error ? err.name : 'unknown error')
}

function neverSent(err: unknown): boolean {
  const code = errorCode(err)
  if (code !== undefined) return NEVER_SENT.has(code)
  return /connection refused|failed to lookup|dns error/i.test(String((err as { message?: unknown })?.message))
}

// Form fields of a request body that carry a credential.
const SECRET_FIELDS = ['client_secret', 'client_assertion', 'refresh_token', 'code', 'code_verifier', 'token', 'subject_token', 'actor_token']

/**
 * The credentials a request carries, to redact from anything its failure says: the
 * `authorization` header (whole, and its credential alone: a bearer token or the Basic
 * base64), the `dpop` proof, and the credential fields of a form body. An absent header
 * gives empty strings, which {@link redact} skips.
 */
export function requestSecrets(headers: HeadersInit | undefined, body?: unknown): string[] {
  const h = new Headers(headers)
  const authorization = h.get('authorization') ?? ''
  const out = [authorization, authorization.slice(authorization.indexOf(' ') + 1), h.get('dpop') ?? '']
  if (body instanceof URLSearchParams) for (const field of SECRET_FIELDS) out.push(...body.getAll(field))
  return out
}

/**
 * The NetworkError of a request that got no answer. Only the runtime's error code goes in the
 * message (a custom fetch's own text may quote the request); the cause keeps a bare copy of
 * the error for debugging, with every secret redacted from its messages, names and stacks.
 */
function networkError(err: unknown, url: string, secrets: ReadonlyArray<string | undefined>): NetworkError {
  return new NetworkError(`Could not reach ${describeUrl(url)} (${redact(failureReason(err), secrets)})`, { cause: bareCopy(err, secrets) })
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

/** The AbortError of a caller's aborted signal, its reason as the cause. */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The request was aborted by the caller', { cause: signal.reason })
}

/**
 * A request's timer: after `ms` it rejects `expired` with a TimeoutError naming the endpoint,
 * then aborts `controller` (whose signal goes to fetch). Waits race `expired`, so they end even
 * with a fetch that does not stop reading a body when its signal aborts (msw does not).
 * `fail` ends the wait early with another error (the caller's abort).
 */
export function deadline(ms: number, url: string) {
  const controller = new AbortController()
  let fail!: (err: unknown) => void
  const expired = new Promise<never>((_, reject) => (fail = reject))
  expired.catch(() => {})
  const timer = setTimeout(() => {
    fail(new TimeoutError(`No answer from ${describeUrl(url)} within ${ms} ms (timeoutMs)`))
    controller.abort()
  }, ms)
  return { controller, expired, fail, timer }
}

/**
 * One attempt: fetch with a timer that covers the headers and the whole body. The body is
 * read here so a server that stalls mid-body still times out, and the caller gets a fresh
 * Response over the bytes; or, for a caller that holds the timer (policy.holds) and a declared
 * length within the cap, the Response as it came, the timer running until the caller releases it.
 */
async function attempt(settings: HttpSettings, url: string, init: FetchInit, policy: RequestPolicy): Promise<Response> {
  const { signal } = policy
  const { controller, expired, fail, timer } = deadline(settings.timeoutMs, url)
  const onAbort = () => {
    fail(abortError(signal!))
    controller.abort(signal?.reason)
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  const release = () => {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  let held = false
  try {
    const res = await Promise.race([settings.fetch(url, { ...init, signal: controller.signal }), expired])
    // An opaque redirect (status 0) cannot be rebuilt; nothing reads its body anyway.
    if (res.status < 200 || res.status > 599) return res
    const exact = exactLength(res, url) // throws for a declared length over the cap
    if (policy.holds !== undefined && exact) {
      policy.holds.push({ expired, release })
      held = true
      return res
    }
    const empty = res.status === 204 || res.status === 205 || res.status === 304
    const body = empty ? null : await Promise.race([readCapped(res, url, exact), expired]).catch((err: unknown) => {
      res.body?.cancel().catch(() => {})
      throw err
    })
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
  } catch (err) {
    if (err instanceof AuthcodeError) throw err
    // The fetch may reject with its own abort error before our rejection is seen.
    if (controller.signal.aborted) await expired
    throw err
  } finally {
    if (!held) release()
  }
}

/** No endpoint we call has a reason to send more: a larger body is refused, not buffered. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

function tooLarge(res: { status: number }, url: string): ResponseError {
  return new ResponseError(res.status, `${describeUrl(url)} answered with a body over ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`)
}

/**
 * Whether the body is exactly its declared length, within the cap: fetch delivers what a
 * `content-length` declares (it fails on a mismatch), unless the body is encoded and inflates.
 * A declared length over the cap is refused at once.
 */
function exactLength(res: Response, url: string): boolean {
  const declared = res.headers.get('content-length')
  if (Number(declared) > MAX_RESPONSE_BYTES) {
    res.body?.cancel().catch(() => {}) // not awaited: some streams never settle a cancel
    throw tooLarge(res, url)
  }
  return declared !== null && /^\d+$/.test(declared) && !res.headers.has('content-encoding')
}

/** Reads a body, refusing it once it passes MAX_RESPONSE_BYTES (declared or actual). */
export async function readCapped(res: Response, url: string, exact = exactLength(res, url)): Promise<ArrayBuffer> {
  // A body of exactly its declared length can be read in one go; any other is counted chunk by chunk.
  if (exact) return res.arrayBuffer()
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
      res = await attempt(settings, url, init, policy)
    } catch (err) {
      if (err instanceof AuthcodeError) throw err // timeout, abort, a body over the cap
      if (i < settings.retries && (policy.idempotent || neverSent(err))) {
        await sleep(Math.min(backoff(i), settings.maxRetryDelayMs), signal)
        continue
      }
      throw networkError(err, url, [...(policy.secrets ?? []), ...requestSecrets(init.headers, init.body)])
    }
    if ((res.status === 429 || res.status === 503) && i < settings.retries) {
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
      // Our own backoff is capped; a server's longer Retry-After is honoured by not retrying.
      const delay = retryAfter === undefined ? Math.min(backoff(i), settings.maxRetryDelayMs) : retryAfter * 1000
      if (delay <= settings.maxRetryDelayMs) {
        res.body?.cancel().catch(() => {}) // a held body was not read; free its connection
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

/**
 * One request to an API with the user's token, for TokenManager.fetch: no retry, and the
 * body left to the caller to read for as long as it likes. Without a signal of the caller's,
 * the headers must come within `timeoutMs`; with one, the signal alone ends the wait.
 *
 * @throws {TimeoutError} no headers within `timeoutMs` (only without `init.signal`).
 * @throws {AbortError} the caller's signal aborted.
 * @throws {NetworkError} the API could not be reached; the request's credentials are redacted.
 */
export async function fetchApi(fetchFn: typeof fetch, input: RequestInfo | URL, init: RequestInit | undefined, timeoutMs: number): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input)
  const signal = init?.signal
  const timer = signal ? undefined : deadline(timeoutMs, url)
  try {
    return await (timer ? Promise.race([fetchFn(input, { ...init, signal: timer.controller.signal }), timer.expired]) : fetchFn(input, init))
  } catch (err) {
    if (err instanceof AuthcodeError) throw err
    // The fetch may reject with its own abort error before our rejection is seen.
    if (timer?.controller.signal.aborted) await timer.expired
    if (signal?.aborted) throw abortError(signal)
    // The access token (or DPoP proof) may be echoed by the runtime's error text.
    throw networkError(err, url, requestSecrets(init?.headers ?? (input instanceof Request ? input.headers : undefined)))
  } finally {
    clearTimeout(timer?.timer)
  }
}

/**
 * Options every network call takes.
 *
 * @example
 * ```ts
 * const profile = await client.userinfo(accessToken, { signal: AbortSignal.timeout(2_000) })
 * ```
 */
export interface RequestOptions {
  /** Aborts the request (and any retry wait); the call then throws {@link AbortError}. */
  signal?: AbortSignal
}
