// RedisStorage: token sets shared by every instance through Redis, and the lock that makes them refresh once.
import { ConfigError, LockTimeoutError } from '../errors.js'
import { type TokenSet, isTokenSet } from '../token-set.js'
import type { TokenStorage } from './token-storage.js'

/**
 * The few Redis commands {@link RedisStorage} calls, typed structurally so that any
 * node-redis v5 client (`createClient()`, `createCluster()`, with or without RESP3) fits
 * without this package importing `redis`. Any other client fits through a three-method
 * adapter: replies are read as strings (or bytes), `null` meaning "no value".
 *
 * Only `get`, `del` and `eval` are used; writes and the lock go through small Lua scripts,
 * so no client-specific option object (which differs between client versions, and would be
 * silently ignored by the wrong one) is ever needed. Each call touches one key, so cluster
 * clients work too.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import type { RedisClientLike } from 'authcode/storage/redis'
 * const ioredis = new Redis()
 * const client: RedisClientLike = {
 *   get: (key) => ioredis.get(key),
 *   del: (key) => ioredis.del(key),
 *   eval: (script, { keys, arguments: args }) => ioredis.eval(script, keys.length, ...keys, ...args),
 * }
 * ```
 */
export interface RedisClientLike {
  /** `GET key`: the value, or `null` when there is none. */
  get(key: string): Promise<unknown>
  /** `DEL key`. */
  del(key: string): Promise<unknown>
  /** `EVAL script numkeys keys... args...`. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

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
   * before it throws {@link LockTimeoutError}. `0` tries once. Default: twice `lockTimeoutMs`
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

const DEFAULT_PREFIX = 'authcode:'
const DEFAULT_LOCK_TIMEOUT_MS = 10_000
// The default lockWaitMs is twice the lock's TTL plus this: longer than a dead holder's lock
// lives (one TTL after its last renewal), with room for the polling backoff.
const LOCK_WAIT_MARGIN_MS = 1_000
const DEFAULT_TTL_PADDING_SECONDS = 60
// The default sessionTtlSeconds: a token set that outlives its access token expires 30 days after its last write.
const DEFAULT_IDLE_TTL_SECONDS = 30 * 24 * 60 * 60
const FIRST_RETRY_MS = 10
const MAX_RETRY_MS = 250

// SET with an optional PX; an empty ARGV[2] means no expiry.
const WRITE = `if ARGV[2] == '' then return redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`
// 'OK' when taken, nil when someone else holds it.
const ACQUIRE = `return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])`
// Compare-and-delete / compare-and-extend: only the holder of the random token touches the lock.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

const textDecoder = new TextDecoder()

function checkNumber(field: string, value: number | undefined, fallback: number, p: { min: number; integer?: boolean; infinite?: boolean }): number {
  if (value === undefined) return fallback
  const ok =
    typeof value === 'number' &&
    value >= p.min &&
    (Number.isFinite(value) ? p.integer !== true || Number.isInteger(value) : p.infinite === true && value === Infinity)
  if (!ok) {
    throw new ConfigError(field, `must be ${p.integer === true ? 'a whole number' : 'a number'} ${p.min === 0 ? '0 or more' : `of at least ${p.min}`}${p.infinite === true ? ' (or Infinity)' : ''}`)
  }
  return value
}

function randomToken(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * A {@link TokenStorage} in Redis, for apps that run more than one instance. Token sets are
 * stored as JSON; `withLock` is a Redis lock, so a {@link TokenManager} in any number of
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
  readonly #lockTimeoutMs: number
  readonly #lockWaitMs: number
  readonly #paddingSeconds: number
  readonly #sessionTtlSeconds: number

  constructor(p: RedisStorageOptions) {
    const client = (p as Partial<RedisStorageOptions> | undefined)?.client
    if (typeof client !== 'object' || client === null || typeof client.get !== 'function' || typeof client.del !== 'function' || typeof client.eval !== 'function') {
      throw new ConfigError('client', 'must be a connected Redis client with get, del and eval (node-redis v5 createClient())')
    }
    if (p.prefix !== undefined && typeof p.prefix !== 'string') throw new ConfigError('prefix', 'must be a string')
    this.#client = client
    this.#prefix = p.prefix ?? DEFAULT_PREFIX
    this.#lockTimeoutMs = checkNumber('lockTimeoutMs', p.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, { min: 1, integer: true })
    this.#lockWaitMs = checkNumber('lockWaitMs', p.lockWaitMs, this.#lockTimeoutMs * 2 + LOCK_WAIT_MARGIN_MS, { min: 0 })
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
    const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? textDecoder.decode(reply) : undefined
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
    const lockKey = this.lockKey(key)
    const token = randomToken()
    await this.#acquire(lockKey, token)
    const stopRenewing = this.#renew(lockKey, token)
    try {
      return await fn()
    } finally {
      stopRenewing()
      try {
        await this.#client.eval(RELEASE, { keys: [lockKey], arguments: [token] })
      } catch {
        // The work is done; an unreleased lock expires by itself within lockTimeoutMs, and
        // an error here would hide fn's own result or error.
      }
    }
  }

  async #acquire(lockKey: string, token: string): Promise<void> {
    const deadline = Date.now() + this.#lockWaitMs
    let delay = FIRST_RETRY_MS
    for (;;) {
      const reply = await this.#client.eval(ACQUIRE, { keys: [lockKey], arguments: [token, String(this.#lockTimeoutMs)] })
      if (reply !== null && reply !== undefined) return
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new LockTimeoutError(
          `The refresh lock was not free within ${this.#lockWaitMs} ms (lockWaitMs): another instance held it. Nothing was refreshed; try again`,
        )
      }
      // Exponential backoff with jitter, so waiters do not poll in step; never past the deadline.
      await sleep(Math.min(left, delay / 2 + Math.random() * (delay / 2)))
      delay = Math.min(delay * 2, MAX_RETRY_MS)
    }
  }

  // Keeps the lock alive while fn runs (a refresh with retries may outlast lockTimeoutMs);
  // a crashed holder stops renewing, and the lock expires within lockTimeoutMs.
  #renew(lockKey: string, token: string): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined
    let stopped = false
    const interval = Math.max(1, Math.floor(this.#lockTimeoutMs / 3))
    const schedule = () => {
      timer = setTimeout(() => {
        this.#client.eval(RENEW, { keys: [lockKey], arguments: [token, String(this.#lockTimeoutMs)] }).then(
          (reply) => {
            // 0: the lock expired and may be someone else's now; stop touching it.
            if (!stopped && reply !== 0) schedule()
          },
          () => {
            if (!stopped) schedule()
          },
        )
      }, interval)
    }
    schedule()
    return () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
