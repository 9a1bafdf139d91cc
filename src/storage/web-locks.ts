// withWebLocks: a TokenStorage whose withLock is a Web Locks API lock, shared by every tab and worker of an origin.
import { ConfigError, LockTimeoutError } from '../errors.js'
import { MAX_TIMER_MS } from '../lib/http.js'
import type { TokenSet } from '../token-set.js'
import type { TokenStorage } from './token-storage.js'
import { WebStorageTokenStorage } from './web-storage.js'

/**
 * Options of {@link withWebLocks}.
 *
 * @example
 * ```ts
 * const options: WebLocksOptions = { name: 'my-app:tokens:', timeoutMs: 5_000 }
 * const storage = withWebLocks(new IndexedDBTokenStorage(), options)
 * ```
 */
export interface WebLocksOptions {
  /** Prefix of the lock names; the lock for a key is `name + key`. Default `"authcode:"`. */
  name?: string
  /**
   * How long to wait for the lock, in milliseconds, before giving up with
   * {@link LockTimeoutError}. Bounds the wait only: once the lock is held, the refresh runs to
   * its end (its own HTTP timeout applies). Default 10 000.
   */
  timeoutMs?: number
}

const DEFAULT_PREFIX = 'authcode:'
// The default timeoutMs: how long withLock waits for the lock (not a request's timeout).
const DEFAULT_LOCK_WAIT_MS = 10_000

/**
 * Wraps a {@link TokenStorage} so that a {@link TokenManager} refreshes at most once across
 * every tab, window and worker of the origin: `withLock(key, fn)` runs `fn` under the
 * exclusive Web Lock `name + key` (`navigator.locks.request`). The TokenManager reads the
 * store again inside the lock, so a tab that waited finds the tokens another tab stored and
 * does not spend the (rotated) refresh token a second time.
 *
 * `get`, `set` and `delete` go to `storage` unchanged; a `withLock` of `storage` is replaced.
 * The lock only helps over a store that every tab shares and that is consistent across tabs:
 * what one tab wrote before releasing the lock must be what the next holder reads. Use
 * {@link IndexedDBTokenStorage}. Not `localStorage`: Chromium passes its writes between tab
 * processes asynchronously, so the next holder can read the old tokens and spend the old
 * refresh token again. Over per-tab memory each tab refreshes its own tokens anyway.
 *
 * The wait for the lock is bounded by `timeoutMs` (an `AbortSignal` on the lock request).
 * The browser releases a lock when the tab holding it closes or crashes.
 *
 * @throws {ConfigError} when the runtime has no Web Locks API (`navigator.locks`: browsers in
 *   a secure context — https or localhost — and their workers), or for a bad option.
 * @example
 * ```ts
 * import { IndexedDBTokenStorage, TokenClient, TokenManager, withWebLocks } from 'authcode'
 * const manager = new TokenManager({
 *   client: new TokenClient({ domain: 'my-tenant.eu.auth0.com', clientId }),
 *   storage: withWebLocks(new IndexedDBTokenStorage(), { timeoutMs: 5_000 }),
 * })
 * // Any number of tabs may call this at once: one refresh request in all.
 * const accessToken = await manager.getAccessToken('me')
 * ```
 */
export function withWebLocks(storage: TokenStorage, options: WebLocksOptions = {}): TokenStorage {
  if (
    typeof storage !== 'object' ||
    storage === null ||
    typeof storage.get !== 'function' ||
    typeof storage.set !== 'function' ||
    typeof storage.delete !== 'function'
  ) {
    throw new ConfigError('storage', 'must be a TokenStorage (an object with get, set and delete)')
  }
  if (storage instanceof WebStorageTokenStorage) {
    // localStorage writes reach other tabs late and unordered with the lock (measured in
    // Chromium: a third of handoffs read stale tokens), so the lock would not stop a double spend.
    throw new ConfigError('storage', 'localStorage is not consistent across tabs under a lock; use IndexedDBTokenStorage with withWebLocks')
  }
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object')
  const prefix = options.name ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string') throw new ConfigError('name', 'must be a string (the prefix of the lock names)')
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_WAIT_MS
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError('timeoutMs', 'must be a number of milliseconds above 0')
  }
  const locks = webLocks()
  if (locks === undefined) {
    throw new ConfigError(
      'navigator.locks',
      'this runtime lacks the Web Locks API; withWebLocks needs a browser page or worker in a secure context (https or localhost)',
    )
  }

  return {
    get: (key: string): Promise<TokenSet | undefined> => storage.get(key),
    set: (key: string, value: TokenSet): Promise<void> => storage.set(key, value),
    delete: (key: string): Promise<void> => storage.delete(key),
    async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const controller = new AbortController()
      let granted = false
      const timer = setTimeout(() => {
        if (!granted) controller.abort()
      }, Math.min(timeoutMs, MAX_TIMER_MS))
      try {
        return await locks.request(prefix + key, { mode: 'exclusive', signal: controller.signal }, () => {
          granted = true
          clearTimeout(timer)
          return fn()
        })
      } catch (err) {
        if (!granted && controller.signal.aborted) {
          throw new LockTimeoutError(`The token refresh lock was not free within ${timeoutMs} ms: another tab or worker held it too long`)
        }
        throw err
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

function webLocks(): LockManager | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator
  const locks = nav?.locks
  return typeof locks === 'object' && locks !== null && typeof locks.request === 'function' ? locks : undefined
}
