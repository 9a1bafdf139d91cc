// The failures a test switches on with fail(): which requests they match, and what the tenant
// answers instead (an OAuth error, a rate limit, a proxy's error page) or how late.
import { isWholeNumber } from './options.js'
import { describeError, htmlError, nowSeconds, oauthError, statusFor } from './wire.js'

/**
 * A grant type of the token endpoint, to scope a {@link FailOptions | failure} to.
 *
 * @example
 * ```ts
 * const grant: GrantType = 'refresh_token'
 * auth0.fail('invalid_grant', { grant })
 * ```
 */
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials'

const GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials']

/** Whether the token endpoint knows this grant type. */
export function isGrantType(value: string | undefined): value is GrantType {
  return value !== undefined && GRANT_TYPES.includes(value)
}

/**
 * An endpoint of the stand-in tenant, to scope a {@link FailOptions | failure} to.
 *
 * @example
 * ```ts
 * const endpoint: Auth0Endpoint = 'userinfo'
 * auth0.fail({ status: 500 }, { endpoint })
 * ```
 */
export type Auth0Endpoint = 'token' | 'userinfo' | 'revoke' | 'jwks' | 'discovery'

/**
 * Which requests a failure applies to, and how many times.
 *
 * @example
 * ```ts
 * auth0.fail({ status: 429, retryAfter: 2 }, { times: 1, grant: 'refresh_token' })
 * ```
 */
export interface FailOptions {
  /** Fail this many matching requests, then answer normally again. Default: until `reset()` or the returned undo. */
  times?: number
  /** Only token-endpoint requests of this grant type. */
  grant?: GrantType
  /** The endpoint to fail. Default `"token"`. */
  endpoint?: Auth0Endpoint
}

/**
 * What {@link Auth0Handlers.fail} makes the tenant answer:
 * - an OAuth error code (`'invalid_grant'`, `'invalid_client'`, `'access_denied'`, …): JSON
 *   `{ error, error_description }` with Auth0's status for it (403 for refused grants, 401
 *   for `invalid_client`, 400 for `invalid_request`);
 * - `{ error, errorDescription?, status? }`: the same with your own description or status;
 * - `{ status: 429, retryAfter? }`: Auth0's rate limit, JSON `too_many_requests` with
 *   `Retry-After` and `X-RateLimit-*` headers;
 * - `{ status: 500 }` (or any other status): an HTML error page, as a proxy in front answers;
 * - `{ delayMs }`: the normal answer, `delayMs` late (combine it with any of the above).
 *
 * Each object form also takes the {@link FailOptions} fields.
 *
 * @example
 * ```ts
 * auth0.fail('invalid_grant')
 * auth0.fail({ status: 429, retryAfter: 30 })
 * auth0.fail({ status: 500, times: 1 })
 * auth0.fail({ delayMs: 2_000, grant: 'refresh_token' })
 * ```
 */
export type Auth0Failure =
  | 'invalid_grant'
  | 'invalid_client'
  | 'access_denied'
  | 'unauthorized_client'
  | 'invalid_request'
  | 'invalid_scope'
  | (string & {})
  | ({ error: string; errorDescription?: string; status?: number; delayMs?: number } & FailOptions)
  | ({ status: number; retryAfter?: number; delayMs?: number } & FailOptions)
  | ({ delayMs: number } & FailOptions)

interface Failure {
  kind: Auth0Failure
  endpoint: Auth0Endpoint
  grant: GrantType | undefined
  remaining: number
}

/** The failures switched on for one tenant, in the order they were added. */
export interface Failures {
  /** Checks and adds a failure (see Auth0Handlers.fail); returns its undo. */
  add(kind: Auth0Failure, options: FailOptions): () => void
  /** Answers with the first failure that matches, else with `normal()`; late when the failure says so. */
  answer(where: Auth0Endpoint, grant: string | undefined, signal: AbortSignal, normal: () => Promise<Response>, record?: { status: number }): Promise<Response>
  clear(): void
}

function checkCount(value: unknown, field: string, min: number): void {
  if (value !== undefined && !isWholeNumber(value, min)) throw new TypeError(`fail(): "${field}" must be a whole number, ${min} or more`)
}

/** Throws a TypeError for a failure that makes no sense; returns the options it applies with. */
function checkFailure(kind: Auth0Failure, options: FailOptions): FailOptions {
  const merged: FailOptions = { ...(typeof kind === 'object' ? kind : {}), ...options }
  checkCount(merged.times, 'times', 1)
  if (typeof kind === 'object') {
    checkCount(kind.delayMs, 'delayMs', 0)
    const status: unknown = (kind as { status?: unknown }).status
    if (status !== undefined && (!isWholeNumber(status, 400) || status > 599)) {
      throw new TypeError('fail(): "status" must be an HTTP error status (400-599)')
    }
    if ('error' in kind && (typeof kind.error !== 'string' || kind.error === '')) throw new TypeError('fail(): "error" must be an OAuth error code')
    if ('retryAfter' in kind) checkCount(kind.retryAfter, 'retryAfter', 0)
    if (!('error' in kind) && status === undefined && kind.delayMs === undefined) {
      throw new TypeError('fail(): give { status }, { error } or { delayMs }')
    }
  } else if (typeof kind !== 'string' || kind === '') {
    throw new TypeError('fail(): give an OAuth error code such as "invalid_grant", or { status }, { error } or { delayMs }')
  }
  if (merged.grant !== undefined && !isGrantType(merged.grant)) throw new TypeError(`fail(): unknown grant "${String(merged.grant)}"`)
  if (merged.grant !== undefined && (merged.endpoint ?? 'token') !== 'token') throw new TypeError('fail(): "grant" applies to the token endpoint only')
  return merged
}

/** The answer a failure makes, or undefined for a delay alone. */
function failureResponse(kind: Auth0Failure, grant: string | undefined): Response | undefined {
  if (typeof kind === 'string') return oauthError(kind, describeError(kind, grant))
  if ('error' in kind) return oauthError(kind.error, kind.errorDescription ?? describeError(kind.error, grant), kind.status ?? statusFor(kind.error))
  if ('status' in kind) {
    const headers: Record<string, string> = {}
    if (kind.retryAfter !== undefined) headers['retry-after'] = String(kind.retryAfter)
    if (kind.status === 429) {
      const reset = nowSeconds() + (kind.retryAfter ?? 1)
      Object.assign(headers, { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })
      return oauthError('too_many_requests', 'Global limit has been reached', 429, headers)
    }
    return htmlError(kind.status, headers)
  }
  return undefined
}

/** Waits `ms`, or less when `signal` aborts (the client has gone; nobody reads the answer). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

export function createFailures(): Failures {
  let failures: Failure[] = []

  function take(where: Auth0Endpoint, grant: string | undefined): Failure | undefined {
    for (const f of failures) {
      if (f.remaining <= 0 || f.endpoint !== where) continue
      if (f.grant !== undefined && f.grant !== grant) continue
      f.remaining--
      return f
    }
    return undefined
  }

  return {
    add(kind, options) {
      const merged = checkFailure(kind, options)
      const failure: Failure = { kind, endpoint: merged.endpoint ?? 'token', grant: merged.grant, remaining: merged.times ?? Number.POSITIVE_INFINITY }
      failures.push(failure)
      return () => {
        failures = failures.filter((f) => f !== failure)
      }
    },
    async answer(where, grant, signal, normal, record) {
      const failure = take(where, grant)
      const response = (failure && failureResponse(failure.kind, grant)) ?? (await normal())
      if (record) record.status = response.status
      if (failure && typeof failure.kind === 'object' && failure.kind.delayMs !== undefined) await wait(failure.kind.delayMs, signal)
      return response
    },
    clear() {
      failures = []
    },
  }
}
