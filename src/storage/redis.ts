/**
 * RedisStorage, token sets shared by every instance through Redis; RedisSessionStore and the client shape are re-exported here.
 *
 * @module authcode/storage/redis
 */
import { type TokenSet, isTokenSet } from '../token-set.js'
import { type RedisClientLike, checkClient, checkNumber, checkPrefix, replyText } from './redis-client.js'
import { type LockTimes, lockTimes, withRedisLock } from './redis-lock.js'
import type { TokenStorage } from './token-storage.js'

export type { RedisClientLike } from './redis-client.js'
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session.js'

/**
 * Options of {@link RedisStorage}.
 *
 * Defaults: `prefix` `"authcode:"`, `lockTimeoutMs` 10 000, `lockWaitMs` twice
 * `lockTimeoutMs` plus 1 000 (21 000 with the default `lockTimeoutMs`),
 * `ttlPaddingSeconds` 60, `sessionTtlSeconds` 2 592 000 (30 days).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const options: RedisStorageOptions = {
 *   client: await createClient({ url: 'redis://localhost:6379' }).connect(),
 *   prefix: 'myapp:auth:',
 *   lockTimeoutMs: 5_000, // lockWaitMs follows: 11 000
 * }
 * ```
 */
export interface RedisStorageOptions {
  /** A connected node-redis v5 client (or anything with the same `get`, `del` and `eval`). */
  client: RedisClientLike
  /**
   * Prefix of every Redis key. Token sets live at `<prefix>tokens:<key>`, locks at
   * `<prefix>lock:<key>`. Default `"authcode:"`.
   */
  prefix?: string
  /**
   * A lock expires by itself this many milliseconds after it was taken or last renewed
   * (`SET … NX PX`), so a crashed instance never blocks the others for longer. While `fn`
   * runs, its holder renews it every third of this time. Default 10 000.
   */
  lockTimeoutMs?: number
  /**
   * How long `withLock` waits for a lock another instance holds, polling with backoff,
   * before it throws {@link authcode!LockTimeoutError}. `0` tries once. Default: twice `lockTimeoutMs`
   * plus 1 000 (21 000), so that a waiter outlasts the lock of a holder that crashed right
   * after renewing it, with time to spare for the backoff. A wait shorter than
   * `lockTimeoutMs` makes every waiter fail while such a lock lives on.
   */
  lockWaitMs?: number
  /**
   * A token set without a refresh token is kept this many seconds past its `expiresAt`,
   * so that clocks a little apart still read it (and report "expired", not "missing").
   * Default 60.
   */
  ttlPaddingSeconds?: number
  /**
   * How long a token set that outlives its access token (it has a refresh token, or has no
   * `expiresAt` at all) is kept after its last write: every refresh writes it again, so this
   * is an idle timeout. Match it to the refresh token's lifetime at your provider (Auth0's
   * default inactivity lifetime for rotating refresh tokens is 15 days, absolute 30 days).
   * `Infinity` keeps it until deleted. Default 2 592 000 (30 days).
   */
  sessionTtlSeconds?: number
}

const DEFAULT_TTL_PADDING_SECONDS = 60
// The default sessionTtlSeconds: a token set that outlives its access token expires 30 days after its last write.
const DEFAULT_IDLE_TTL_SECONDS = 30 * 24 * 60 * 60

// SET with an optional PX; an empty ARGV[2] means no expiry.
const WRITE = `if ARGV[2] == '' then return redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`

/**
 * A {@link TokenStorage} in Redis, for apps that run more than one instance. Token sets are
 * stored as JSON; `withLock` is a Redis lock, so a {@link authcode!TokenManager} in any number of
 * processes spends a refresh token once (with rotation, a second spend would make the
 * provider revoke the whole token family and log the user out).
 *
 * **Expiry.** A token set with a refresh token is not expired with its access token: it is
 * exactly the set that is needed once the access token has expired. It is kept for
 * `sessionTtlSeconds` (default 30 days) after its last write instead, which every refresh
 * renews. A token set without a refresh token is useless once its access token has expired,
 * so it expires at `expiresAt` plus `ttlPaddingSeconds`.
 *
 * **Lock.** `SET <prefix>lock:<key> <random> NX PX lockTimeoutMs`, polled with backoff for
 * up to `lockWaitMs` (by default long enough to outlast the lock of a crashed holder);
 * renewed by its holder while `fn` runs; released in `finally` by a compare-and-delete
 * script, so a holder whose lock expired never deletes the next holder's lock.
 *
 * @throws {ConfigError} from the constructor, for a missing client or a bad option.
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { TokenClient, TokenManager } from 'authcode'
 * import { RedisStorage } from 'authcode/storage/redis'
 *
 * const redis = await createClient({ url: 'redis://localhost:6379' }).connect()
 * const manager = new TokenManager({
 *   client: new TokenClient(config),
 *   storage: new RedisStorage({ client: redis }),
 * })
 * const accessToken = await manager.getAccessToken(sessionId) // one refresh across all instances
 * ```
 */
export class RedisStorage implements TokenStorage {
  readonly #client: RedisClientLike
  readonly #prefix: string
  readonly #lock: LockTimes
  readonly #paddingSeconds: number
  readonly #sessionTtlSeconds: number

  constructor(p: RedisStorageOptions) {
    this.#client = checkClient((p as Partial<RedisStorageOptions> | undefined)?.client)
    this.#prefix = checkPrefix(p.prefix)
    this.#lock = lockTimes(p)
    this.#paddingSeconds = checkNumber('ttlPaddingSeconds', p.ttlPaddingSeconds, DEFAULT_TTL_PADDING_SECONDS, { min: 0 })
    this.#sessionTtlSeconds = checkNumber('sessionTtlSeconds', p.sessionTtlSeconds, DEFAULT_IDLE_TTL_SECONDS, { min: 1, infinite: true })
  }

  /** The Redis key that holds the token set of `key`. */
  tokensKey(key: string): string {
    return `${this.#prefix}tokens:${key}`
  }

  /** The Redis key of the lock on `key`. */
  lockKey(key: string): string {
    return `${this.#prefix}lock:${key}`
  }

  /** The stored token set, or undefined (also for a value that is not a token set's JSON). */
  async get(key: string): Promise<TokenSet | undefined> {
    const reply = await this.#client.get(this.tokensKey(key))
    const text = replyText(reply)
    if (text === undefined) return undefined
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return undefined
    }
    return isTokenSet(value) ? value : undefined
  }

  /** Stores the token set as JSON, with the expiry described on the class. */
  async set(key: string, value: TokenSet): Promise<void> {
    const ttlMs = this.#ttlMs(value)
    if (ttlMs !== undefined && ttlMs <= 0) {
      // No refresh token and already past expiry (and padding): nothing usable to keep.
      await this.delete(key)
      return
    }
    await this.#client.eval(WRITE, { keys: [this.tokensKey(key)], arguments: [JSON.stringify(value), ttlMs === undefined ? '' : String(ttlMs)] })
  }

  /** Removes the token set; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await this.#client.del(this.tokensKey(key))
  }

  // Milliseconds to keep `value`, or undefined for no expiry.
  #ttlMs(value: TokenSet): number | undefined {
    const untilExpiry = value.expiresAt === undefined ? undefined : Math.ceil((value.expiresAt + this.#paddingSeconds) * 1000 - Date.now())
    if (value.refreshToken === undefined && untilExpiry !== undefined) return untilExpiry
    if (this.#sessionTtlSeconds === Infinity) return undefined
    return Math.max(this.#sessionTtlSeconds * 1000, untilExpiry ?? 0)
  }

  /**
   * Runs `fn` while holding the Redis lock on `key`; other instances (and other
   * RedisStorage objects in this one) wait for it. The lock is released when `fn` settles,
   * and only if this call still holds it.
   *
   * @throws {LockTimeoutError} the lock was not free within `lockWaitMs`; `fn` did not run.
   * @example
   * ```ts
   * await storage.withLock(sessionId, async () => {
   *   const current = await storage.get(sessionId) // read again inside the lock
   *   if (current?.refreshToken) await storage.set(sessionId, await client.refresh({ refreshToken: current.refreshToken }))
   * })
   * ```
   */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return withRedisLock(this.#client, this.lockKey(key), this.#lock, fn)
  }
}
