// The login transaction in a sealed, chunked cookie that opens once only.
import type { AuthorizationTransaction } from '../login/authorization-request.js'
import { ConfigError, SealError } from '../errors.js'
import {
  type CookieAttributes,
  clearChunkedCookie,
  joinCookie,
  parseCookieHeader,
  serializeChunkedCookie,
  serializeCookie,
} from './cookie.js'
import { DEFAULT_TRANSACTION_SEAL_TTL_SECONDS, asTransaction, checkSecrets, checkTtl, openData, sealTransaction } from './seal.js'

/** Default cookie name of {@link createTransactionCookie}. */
const DEFAULT_TRANSACTION_COOKIE_NAME = 'authcode.tx'
// Consumed ids remembered in memory at most. A live one is never forgotten: when all are live,
// new logins are refused until some expire.
const MAX_REMEMBERED = 10_000

/**
 * Remembers which transaction seals were opened, so each opens once only. The default keeps
 * them in this process; several instances behind a load balancer need a shared one.
 *
 * `consume(jti, expiresAt)` records `jti` and answers `true` when it was not recorded before,
 * `false` when it was (a replay). It must be atomic. `expiresAt` is the seal's expiry in epoch
 * seconds: the record may be dropped after it, since an expired seal no longer opens.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const redis = await createClient().connect()
 * const replayStore: ReplayStore = {
 *   async consume(jti, expiresAt) {
 *     // SET NX: only the first caller sets the key; EXAT: Redis forgets it when the seal expires
 *     return (await redis.set(`authcode:tx:${jti}`, '1', { NX: true, EXAT: expiresAt })) === 'OK'
 *   },
 * }
 * ```
 */
export interface ReplayStore {
  /** Records `jti` until `expiresAt` (epoch seconds): `true` the first time, `false` for a replay. */
  consume(jti: string, expiresAt: number): Promise<boolean>
}

/**
 * Options of {@link createTransactionCookie}.
 *
 * Defaults: `name: "authcode.tx"`, `ttlSeconds: 600`, `secure: true`, `path: "/"`,
 * `sameSite: "Lax"`, `maxChunkBytes: 3500`, replay records in this process's memory.
 *
 * @example
 * ```ts
 * const options: TransactionCookieOptions = { secret: cookieSecret, secure: false } // http://localhost
 * ```
 */
export interface TransactionCookieOptions {
  /** At least 32 characters; a list to rotate (the first one seals, any opens). */
  secret: string | readonly string[]
  /** Default `"authcode.tx"`. */
  name?: string
  /** Default `true`. `false` only for http://localhost during development. */
  secure?: boolean
  /** Lifetime of the seal and the cookie, in seconds. Default 600. */
  ttlSeconds?: number
  /** Default `"/"`; narrow it to your callback path if you like. */
  path?: string
  /** Default: none (this host only). */
  domain?: string
  /** Default `"Lax"`. Use `"None"` for `response_mode=form_post` (a cross-site POST). */
  sameSite?: 'Lax' | 'Strict' | 'None'
  /** Default 3,500 bytes of `name=value` per cookie. */
  maxChunkBytes?: number
  /**
   * Where opened seals are recorded. Default: memory of this process (one instance only),
   * which remembers up to 10,000 seals until they expire and refuses new ones (SealError
   * `busy`) rather than forget a live one.
   */
  replayStore?: ReplayStore
}

/**
 * What {@link createTransactionCookie} returns.
 *
 * @example
 * ```ts
 * const txCookie: TransactionCookie = createTransactionCookie({ secret })
 * ```
 */
export interface TransactionCookie {
  /** Seals the transaction; gives the `Set-Cookie` header values to send (one or more). */
  set(transaction: AuthorizationTransaction): Promise<string[]>
  /**
   * Opens the transaction from the request's `Cookie` header, once only, and gives the
   * `Set-Cookie` values that delete its cookies.
   *
   * @throws {SealError} `invalid` (no cookie, changed, another secret), `expired`,
   *   `replayed` (this seal was opened before), or `busy` (the default replay memory is full
   *   of live records: answer 503 and let the user retry; the seal still opens later).
   */
  take(cookieHeader: string | null | undefined): Promise<{ transaction: AuthorizationTransaction; setCookie: string[] }>
  /** The `Set-Cookie` values that delete the transaction cookies: send them when `take` throws. */
  clear(cookieHeader?: string | null): string[]
}

/**
 * The default ReplayStore: consumed ids in this process's memory until their seal's expiry,
 * at most `limit` of them. An id is never forgotten before its seal expires (it could be
 * replayed then); when every record is live, `consume` throws {@link SealError} `busy`
 * instead. Internal.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #consumed = new Map<string, number>()
  readonly #limit: number
  // No record expires before this (epoch seconds), so a sweep before it would free nothing.
  #nextExpiry = Infinity

  constructor(limit = MAX_REMEMBERED) {
    this.#limit = limit
  }

  async consume(jti: string, expiresAt: number): Promise<boolean> {
    const now = Date.now() / 1000
    const seen = this.#consumed.get(jti)
    if (seen !== undefined) {
      if (seen > now) return false
      this.#consumed.delete(jti)
    }
    if (this.#consumed.size >= this.#limit && now >= this.#nextExpiry) this.#sweep(now)
    if (this.#consumed.size >= this.#limit) {
      throw new SealError('busy', 'Too many logins are under way to remember another one: try again shortly')
    }
    this.#consumed.set(jti, expiresAt)
    if (expiresAt < this.#nextExpiry) this.#nextExpiry = expiresAt
    return true
  }

  // Drops every expired record and notes the earliest expiry left: one pass, and only when
  // the map is full and something has expired.
  #sweep(now: number): void {
    let next = Infinity
    for (const [id, exp] of this.#consumed) {
      if (exp <= now) this.#consumed.delete(id)
      else if (exp < next) next = exp
    }
    this.#nextExpiry = next
  }
}

/**
 * Keeps the authorization transaction (state, nonce, PKCE verifier) between `/login` and
 * `/callback` in a sealed cookie, so a server needs no database for it, and lets each seal
 * open once only.
 *
 * `set` seals with {@link sealTransaction} (a random `jti` in each seal) and writes chunked
 * `Set-Cookie` values; `take` opens it, records the `jti` in `replayStore` and gives headers
 * that delete every chunk. A second `take` of the same seal throws `SealError` `replayed`.
 * Defaults: see {@link TransactionCookieOptions}. The default replay memory belongs to this
 * helper in this process: make the helper once at startup, and pass a shared `replayStore`
 * when several instances serve callbacks.
 *
 * @throws {ConfigError} at creation for a secret shorter than 32 characters, a bad name,
 *   ttl or cookie attribute.
 * @example
 * ```ts
 * import { createAuthorizationRequest, createTransactionCookie, exchangeCode, validateCallback } from 'authcode'
 * const txCookie = createTransactionCookie({ secret: cookieSecret })
 *
 * // GET /login
 * const { url, transaction } = await createAuthorizationRequest(config, { redirectUri })
 * const headers = new Headers({ location: url.href })
 * for (const value of await txCookie.set(transaction)) headers.append('set-cookie', value)
 * return new Response(null, { status: 302, headers })
 *
 * // GET /callback
 * const { transaction: tx, setCookie } = await txCookie.take(request.headers.get('cookie'))
 * const { code } = validateCallback(request.url, { state: tx.state, issuer: tx.issuer })
 * const tokens = await exchangeCode(config, { code, redirectUri: tx.redirectUri, codeVerifier: tx.codeVerifier, ...(tx.nonce && { nonce: tx.nonce }) })
 * ```
 */
export function createTransactionCookie(options: TransactionCookieOptions): TransactionCookie {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object with a "secret"')
  // A copy, so a caller changing its array later cannot change the keys.
  const secret = [...checkSecrets(options.secret)]
  const name = options.name ?? DEFAULT_TRANSACTION_COOKIE_NAME
  const ttlSeconds = checkTtl(options.ttlSeconds, DEFAULT_TRANSACTION_SEAL_TTL_SECONDS)
  const attrs: CookieAttributes = {
    path: options.path ?? '/',
    secure: options.secure ?? true,
    httpOnly: true,
    sameSite: options.sameSite ?? 'Lax',
    ...(options.domain !== undefined && { domain: options.domain }),
  }
  // Fail at startup, not on the first login, for a bad name or attribute.
  serializeCookie(name, '', attrs)
  const replayStore = options.replayStore ?? new MemoryReplayStore()
  if (typeof replayStore.consume !== 'function') throw new ConfigError('replayStore', 'must have a consume(jti, expiresAt) method')
  const maxChunkBytes = options.maxChunkBytes

  return {
    async set(transaction) {
      const sealed = await sealTransaction(transaction, { secret, ttlSeconds })
      return serializeChunkedCookie(name, sealed, {
        ...attrs,
        maxAge: Math.ceil(ttlSeconds),
        ...(maxChunkBytes !== undefined && { maxChunkBytes }),
      })
    },

    async take(cookieHeader) {
      const cookies = parseCookieHeader(cookieHeader)
      const setCookie = clearChunkedCookie(name, cookies, attrs)
      const sealed = joinCookie(name, cookies)
      if (sealed === undefined) {
        throw new SealError('invalid', `No "${name}" cookie came with the request: the login did not start here, or it took too long`)
      }
      const opened = await openData('transaction', sealed, { secret })
      const transaction = asTransaction(opened.data)
      if (opened.jti === undefined) throw new SealError('invalid', `The "${name}" cookie carries no one-time id`)
      if (!(await replayStore.consume(opened.jti, opened.exp))) {
        throw new SealError('replayed', `This login transaction was already used; start the login again`)
      }
      return { transaction, setCookie }
    },

    clear(cookieHeader) {
      return clearChunkedCookie(name, cookieHeader, attrs)
    },
  }
}
