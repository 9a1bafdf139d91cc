// TokenManager: stored tokens, a valid access token on demand, one refresh for many callers, and API calls.
import { ConfigError, IdTokenError, LoginRequiredError, OAuthError } from '../errors.js'
import { decode } from '../lib/base64url.js'
import { requireText } from '../lib/checks.js'
import { DEFAULT_TIMEOUT_MS, fetchApi } from '../lib/http.js'
import { MemoryStorage } from '../storage/memory.js'
import type { TokenStorage } from '../storage/token-storage.js'
import type { TokenClient } from './token-client.js'
import { type TokenSet, isExpired } from '../token-set.js'

/**
 * Options of {@link TokenManager}.
 *
 * @example
 * ```ts
 * const options: TokenManagerOptions = { client, storage: new MemoryStorage(), leewaySeconds: 120 }
 * ```
 */
export interface TokenManagerOptions {
  /** The client whose `refresh` and `revoke` the manager calls. */
  client: TokenClient
  /** Where token sets live. Default: a new {@link MemoryStorage}. */
  storage?: TokenStorage
  /** Refresh this many seconds before the access token expires. Default 60. */
  leewaySeconds?: number
  /** The fetch {@link TokenManager.fetch} calls APIs with. Default: `globalThis.fetch`. */
  fetch?: typeof fetch
}

/**
 * Options of {@link TokenManager.getAccessToken}.
 *
 * @example
 * ```ts
 * const token = await manager.getAccessToken(sessionId, { forceRefresh: true })
 * ```
 */
export interface GetAccessTokenOptions {
  /** Refresh even if the stored access token looks fresh (e.g. after the API answered 401). */
  forceRefresh?: boolean
}

/**
 * Options of {@link TokenManager.clear}.
 *
 * @example
 * ```ts
 * await manager.clear(sessionId, { revoke: true })
 * ```
 */
export interface ClearOptions {
  /** Also revoke the refresh token at the provider (`/oauth/revoke`) before deleting. */
  revoke?: boolean
}

const textDecoder = /* @__PURE__ */ new TextDecoder()

/** The `exp` of a JWT access token, read without verifying (we got it from the token endpoint over TLS). */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')
  if (payload.length !== 3 || !payload[1]) return undefined
  try {
    const exp: unknown = JSON.parse(textDecoder.decode(decode(payload[1]))).exp
    return typeof exp === 'number' && Number.isFinite(exp) ? Math.floor(exp) : undefined
  } catch {
    return undefined
  }
}

/** Fills `expiresAt` from the access token's own `exp` when the response had no `expires_in`. */
export function withExpiry(tokens: TokenSet): TokenSet {
  if (tokens.expiresAt !== undefined) return tokens
  const exp = jwtExpiry(tokens.accessToken)
  return exp === undefined ? tokens : { ...tokens, expiresAt: exp }
}

/**
 * The refreshed set, checked to be the stored session's user (OpenID Connect Core §12.2: a
 * refreshed ID token's `iss` and `sub` must be the original's). A refresh that brings no ID
 * token (most providers send none) keeps the session's ID token and claims.
 */
export function sameUser(stored: TokenSet, fresh: TokenSet): TokenSet {
  const before = stored.claims
  if (before === undefined) return fresh
  const after = fresh.claims
  if (after === undefined) {
    if (fresh.idToken !== undefined) return fresh
    return { ...fresh, ...(stored.idToken !== undefined && { idToken: stored.idToken }), claims: before }
  }
  for (const claim of ['iss', 'sub'] as const) {
    if (after[claim] !== before[claim]) {
      throw new IdTokenError(`The refreshed ID token is for another user (${claim}) than the session's; the session was kept unchanged`)
    }
  }
  return fresh
}

export function isReplayable(input: RequestInfo | URL, init?: RequestInit): boolean {
  if (typeof Request !== 'undefined' && input instanceof Request && input.body !== null && init?.body === undefined) return false
  const body = init?.body
  return !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream)
}

/**
 * Keeps each user's tokens in a {@link TokenStorage} and hands out a valid access token:
 * the stored one while it has more than `leewaySeconds` left, otherwise a refreshed one.
 *
 * - One refresh per key however many callers ask at once (single-flight); keys never wait on
 *   each other. With a storage that has `withLock`, one refresh across instances too.
 * - A rotated refresh token is stored before the new access token is returned. A failed
 *   refresh leaves the store untouched, except `invalid_grant`, which clears the key and
 *   throws {@link LoginRequiredError} — unless another request already stored newer tokens
 *   (the usual rotation race), which are then used.
 * - A refresh keeps the session's user: a new ID token for another `iss` or `sub` is refused
 *   with {@link IdTokenError} and nothing is stored; a refresh with no ID token keeps the
 *   stored ID token and claims.
 *
 * @throws {ConfigError} from the constructor, for a missing client or a bad leeway.
 * @example
 * ```ts
 * import { TokenClient, TokenManager } from 'authcode'
 * const manager = new TokenManager({ client: new TokenClient(config) })
 * await manager.save(sessionId, await client.exchangeCode({ code, ...transaction }))
 * // later, in any request:
 * const res = await manager.fetch(sessionId, 'https://api.example.com/contacts')
 * ```
 */
export class TokenManager {
  readonly #client: TokenClient
  readonly #storage: TokenStorage
  readonly #leeway: number
  readonly #fetch: typeof fetch
  readonly #inflight = new Map<string, Promise<TokenSet>>()

  constructor(p: TokenManagerOptions) {
    if (typeof p !== 'object' || p === null || typeof p.client?.refresh !== 'function') {
      throw new ConfigError('client', 'must be a TokenClient')
    }
    const leeway = p.leewaySeconds ?? 60
    if (!Number.isFinite(leeway) || leeway < 0) throw new ConfigError('leewaySeconds', 'must be a number of seconds, 0 or more')
    if (p.fetch !== undefined && typeof p.fetch !== 'function') throw new ConfigError('fetch', 'must be a fetch function')
    this.#client = p.client
    this.#storage = p.storage ?? new MemoryStorage()
    this.#leeway = leeway
    const apiFetch = p.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args))
    // The API's own transport failures come out typed, like every other request's.
    const timeoutMs = p.client.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#fetch = (input, init) => fetchApi(apiFetch, input, init, timeoutMs)
  }

  /** The storage this manager uses. */
  get storage(): TokenStorage {
    return this.#storage
  }

  /**
   * Stores a token set (e.g. right after `exchangeCode`) under `key`.
   *
   * @example
   * ```ts
   * await manager.save(sessionId, tokens)
   * ```
   */
  async save(key: string, tokens: TokenSet): Promise<void> {
    checkKey(key)
    if (typeof tokens !== 'object' || tokens === null || typeof tokens.accessToken !== 'string' || tokens.accessToken === '') {
      throw new ConfigError('tokens', 'must be a TokenSet with an accessToken')
    }
    await this.#storage.set(key, withExpiry(tokens))
  }

  /**
   * A valid access token for `key`: the stored one with no request while it has more than
   * `leewaySeconds` left, otherwise a refreshed one.
   *
   * @throws {LoginRequiredError} no tokens for the key, no refresh token, or the refresh
   *   token was rejected (`invalid_grant`; the key is then cleared).
   * @throws {OAuthError|ResponseError|NetworkError|TimeoutError} a refresh failed for another
   *   reason; the stored tokens are untouched, try again later.
   * @throws {IdTokenError} the refreshed ID token is for another user (`iss` or `sub`) than the
   *   stored one; the stored tokens are untouched (log the user in again).
   * @example
   * ```ts
   * const accessToken = await manager.getAccessToken(sessionId)
   * ```
   */
  async getAccessToken(key: string, p: GetAccessTokenOptions = {}): Promise<string> {
    return (await this.#tokens(key, p.forceRefresh === true)).accessToken
  }

  async #tokens(key: string, forceRefresh: boolean, rejectedAccessToken?: string): Promise<TokenSet> {
    checkKey(key)
    if (!forceRefresh) {
      const stored = await this.#storage.get(key)
      if (stored === undefined) throw new LoginRequiredError('No tokens are stored for this key: log the user in')
      if (!isExpired(stored, this.#leeway)) return stored
      rejectedAccessToken = stored.accessToken
    }
    return this.#refreshOnce(key, rejectedAccessToken)
  }

  // Single-flight per key: every caller that finds the token stale while a refresh is running
  // waits for that refresh instead of starting another.
  #refreshOnce(key: string, staleAccessToken: string | undefined): Promise<TokenSet> {
    let pending = this.#inflight.get(key)
    if (pending === undefined) {
      const run = () => this.#refresh(key, staleAccessToken)
      pending = (this.#storage.withLock ? this.#storage.withLock(key, run) : run()).finally(() => {
        this.#inflight.delete(key)
      })
      this.#inflight.set(key, pending)
    }
    return pending
  }

  async #refresh(key: string, staleAccessToken: string | undefined): Promise<TokenSet> {
    // Read again: another request or instance may have refreshed while we waited.
    const current = await this.#storage.get(key)
    if (current === undefined) throw new LoginRequiredError('No tokens are stored for this key: log the user in')
    if (staleAccessToken !== undefined && current.accessToken !== staleAccessToken && !isExpired(current, this.#leeway)) {
      return current
    }
    if (current.refreshToken === undefined) {
      throw new LoginRequiredError('The access token has expired and there is no refresh token: log the user in (ask for offline_access to get one)')
    }
    let fresh: TokenSet
    try {
      fresh = withExpiry(await this.#client.refresh({ refreshToken: current.refreshToken }))
    } catch (err) {
      if (err instanceof OAuthError && err.error === 'invalid_grant') {
        // The usual rotation race: someone else spent this refresh token and stored the result.
        const latest = await this.#storage.get(key)
        if (latest !== undefined && latest.refreshToken !== current.refreshToken && !isExpired(latest, this.#leeway)) return latest
        await this.#storage.delete(key)
        throw new LoginRequiredError('The refresh token was rejected (expired, revoked or already used): log the user in', { cause: err })
      }
      throw err
    }
    fresh = sameUser(current, fresh)
    // Rotation: store before handing out the new access token, so the old refresh token is
    // never needed again.
    await this.#storage.set(key, fresh)
    return fresh
  }

  /**
   * Calls an API with the user's access token (`authorization: Bearer …`, or the token's own
   * type). On a 401 it refreshes once and retries once — unless the request body was a
   * one-shot stream, which cannot be sent twice; then the 401 is returned.
   *
   * Without a `signal` in `init`, the API must send its headers within the client's `timeoutMs`.
   *
   * @throws {ConfigError} for a URL that is not https, however spelled (plain http is allowed
   *   only when the client has `allowInsecureRequests`), and for a relative or malformed one;
   *   the URL is judged as fetch will parse it.
   * @throws {TimeoutError} when the API sends no headers within `timeoutMs`.
   * @throws {LoginRequiredError|OAuthError|ResponseError|NetworkError|TimeoutError} as for getAccessToken;
   *   {@link NetworkError} when the API cannot be reached, {@link AbortError} when `init.signal` aborts.
   * @example
   * ```ts
   * const res = await manager.fetch(sessionId, 'https://api.example.com/contacts', {
   *   headers: { 'content-type': 'application/json' },
   * })
   * ```
   */
  async fetch(key: string, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const target = apiUrl(input, this.#client.allowInsecureRequests === true)
    // fetch is given the URL that was checked, so it cannot parse the input differently.
    if (!(input instanceof Request)) input = target.href
    const send = (tokens: TokenSet) => {
      // A DPoP-bound token needs a proof per request, made with the client's key (RFC 9449).
      if (tokens.tokenType === 'DPoP') return this.#client.fetchWithDpop(tokens.accessToken, input, init, this.#fetch)
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
      headers.set('authorization', `${tokens.tokenType} ${tokens.accessToken}`)
      return this.#fetch(input, { ...init, headers })
    }
    const tokens = await this.#tokens(key, false)
    const res = await send(tokens)
    if (res.status !== 401 || !isReplayable(input, init)) return res
    const fresh = await this.#tokens(key, true, tokens.accessToken)
    // Not awaited: some bodies (msw's among them) settle their cancel only once read, and the
    // retry would wait forever.
    res.body?.cancel().catch(() => undefined)
    return send(fresh)
  }

  /**
   * Forgets the tokens of `key`; with `revoke: true` first revokes the refresh token at the
   * provider. The key is deleted even when revocation fails; the error is then thrown.
   *
   * @throws {OAuthError|ResponseError|NetworkError|TimeoutError} revocation failed (tokens are deleted anyway).
   * @example
   * ```ts
   * await manager.clear(sessionId, { revoke: true }) // on logout
   * ```
   */
  async clear(key: string, p: ClearOptions = {}): Promise<void> {
    checkKey(key)
    // A refresh still running would store its tokens after our delete and bring the session
    // back: let it finish here, and hold the storage lock against other instances.
    await this.#inflight.get(key)?.catch(() => undefined)
    const run = async () => {
      let failure: unknown
      if (p.revoke === true) {
        const stored = await this.#storage.get(key)
        if (stored?.refreshToken !== undefined) {
          try {
            await this.#client.revoke(stored.refreshToken)
          } catch (err) {
            failure = err
          }
        }
      }
      await this.#storage.delete(key)
      if (failure !== undefined) throw failure
    }
    await (this.#storage.withLock ? this.#storage.withLock(key, run) : run())
  }
}

/**
 * The URL a request to an API goes to, parsed as fetch parses it (which drops leading and
 * trailing spaces and control characters, and tabs and newlines anywhere). RFC 9700 §2:
 * tokens travel over TLS only, so anything but https is refused, except plain http when the
 * client allows it for local development. A relative or malformed input is refused too: the
 * token must not go to a place this code did not check.
 */
export function apiUrl(input: RequestInfo | URL, allowHttp: boolean): URL {
  let url: URL
  try {
    url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : String(input))
  } catch {
    throw new ConfigError('input', 'must be an absolute https URL (a relative or malformed URL is refused: the access token must not go to an unknown place)')
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowHttp)) return url
  if (url.protocol === 'http:') {
    throw new ConfigError('input', 'refusing to send an access token over plain http; use https (or allowInsecureRequests for local development)')
  }
  throw new ConfigError('input', `refusing to send an access token to a "${url.protocol}" URL; use https`)
}

function checkKey(key: unknown): asserts key is string {
  requireText(key, 'key')
}
