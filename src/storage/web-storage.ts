// Browser TokenStorages shared by the tabs of an origin: IndexedDBTokenStorage (consistent across tabs, for withWebLocks) and WebStorageTokenStorage (localStorage).
import { ConfigError } from '../errors.js'
import { requireText } from '../lib/checks.js'
import { type TokenSet, isTokenSet } from '../token-set.js'
import type { TokenStorage } from './token-storage.js'

/**
 * Options of {@link IndexedDBTokenStorage}.
 *
 * @example
 * ```ts
 * const options: IndexedDBTokenStorageOptions = { database: 'my-app', store: 'tokens' }
 * const storage = new IndexedDBTokenStorage(options)
 * ```
 */
export interface IndexedDBTokenStorageOptions {
  /** The IndexedDB database name. Default `"authcode"`. Use a database of its own. */
  database?: string
  /** The object store in it. Default `"tokens"`. */
  store?: string
}

/**
 * Keeps token sets in IndexedDB, shared by every tab, window and worker of the origin: the
 * storage to pair with {@link withWebLocks}. IndexedDB is read and written through one
 * database in the browser, so a tab that takes the lock right after another tab stored
 * rotated tokens reads those tokens — which `localStorage` does not promise (see
 * {@link WebStorageTokenStorage}). Writes finish (`complete`, durability `strict`) before
 * `set` resolves, and so before the lock is released.
 *
 * **Security:** IndexedDB is readable by every script that runs on the origin, so one XSS hole
 * or one compromised third-party script can take the refresh token away. Use it only for a
 * public SPA client (`clientAuth: 'none'`, PKCE, rotating refresh tokens with a short absolute
 * lifetime), and prefer the in-memory {@link MemoryStorage} or a backend that keeps the tokens
 * when you can.
 *
 * A stored value that is not a token set reads as no tokens.
 *
 * @throws {ConfigError} from the constructor, when the runtime has no IndexedDB, or for a bad
 *   option. Opening the database happens on first use; its failures reject that call.
 * @example
 * ```ts
 * import { IndexedDBTokenStorage, TokenClient, TokenManager, withWebLocks } from 'authcode'
 * const manager = new TokenManager({
 *   client: new TokenClient({ domain: 'my-tenant.eu.auth0.com', clientId }),
 *   storage: withWebLocks(new IndexedDBTokenStorage()),
 * })
 * await manager.save('me', tokens)
 * // Any number of tabs may call this at once: one refresh request in all.
 * const accessToken = await manager.getAccessToken('me')
 * ```
 */
export class IndexedDBTokenStorage implements TokenStorage {
  readonly #factory: IDBFactory
  readonly #database: string
  readonly #store: string
  #db: Promise<IDBDatabase> | undefined

  constructor(options: IndexedDBTokenStorageOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object')
    const database = options.database ?? 'authcode'
    const store = options.store ?? 'tokens'
    requireText(database, 'database')
    requireText(store, 'store')
    let factory: IDBFactory | undefined
    try {
      factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB
    } catch (err) {
      throw new ConfigError('indexedDB', 'IndexedDB is blocked in this context; use MemoryStorage', { cause: err })
    }
    if (typeof factory !== 'object' || factory === null || typeof factory.open !== 'function') {
      throw new ConfigError('indexedDB', 'this runtime has no IndexedDB; use MemoryStorage, or a shared store with withLock on a server')
    }
    this.#factory = factory
    this.#database = database
    this.#store = store
  }

  async get(key: string): Promise<TokenSet | undefined> {
    const value = await this.#run('readonly', (store) => store.get(key))
    return isTokenSet(value) ? value : undefined
  }

  async set(key: string, value: TokenSet): Promise<void> {
    await this.#run('readwrite', (store) => store.put(value, key))
  }

  async delete(key: string): Promise<void> {
    await this.#run('readwrite', (store) => store.delete(key))
  }

  // One request in its own transaction; resolves with the request's result once the
  // transaction has completed (committed), so a write is visible to every tab by then.
  async #run(mode: IDBTransactionMode, request: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
    const db = await this.#open()
    return new Promise((resolve, reject) => {
      let tx: IDBTransaction
      let req: IDBRequest
      try {
        // strict: a rotated refresh token that is reported stored must survive a crash.
        tx = mode === 'readwrite' ? db.transaction(this.#store, mode, { durability: 'strict' }) : db.transaction(this.#store, mode)
        req = request(tx.objectStore(this.#store))
      } catch (err) {
        // e.g. the connection was closed by a version change in another tab: open again next time.
        this.#db = undefined
        reject(err)
        return
      }
      tx.oncomplete = () => resolve(req.result)
      tx.onerror = () => reject(tx.error ?? req.error)
      tx.onabort = () => reject(tx.error ?? new DOMException('The IndexedDB transaction was aborted', 'AbortError'))
    })
  }

  #open(): Promise<IDBDatabase> {
    return (this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = this.#factory.open(this.#database)
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(this.#store)) req.result.createObjectStore(this.#store)
      }
      req.onsuccess = () => {
        const db = req.result
        // Let another tab upgrade or delete the database: close, and open again on next use.
        db.onversionchange = () => {
          db.close()
          this.#db = undefined
        }
        if (!db.objectStoreNames.contains(this.#store)) {
          db.close()
          reject(new ConfigError('store', `the IndexedDB database "${this.#database}" has no object store "${this.#store}"; give IndexedDBTokenStorage a database of its own`))
          return
        }
        resolve(db)
      }
      req.onerror = () => reject(req.error)
    }).catch((err: unknown) => {
      this.#db = undefined
      throw err
    }))
  }
}

/**
 * Keeps token sets as JSON in a Web Storage area — `localStorage` by default — under
 * `prefix + key`, so the tokens outlive a reload and every tab of the origin sees them.
 *
 * **Not for cross-tab refresh coordination.** Chromium runs tabs in separate processes and
 * passes `localStorage` writes between them asynchronously, with no ordering against Web
 * Locks: a tab that takes the {@link withWebLocks} lock just after another tab stored rotated
 * tokens can still read the old ones and spend the old refresh token again (seen in about a
 * third of lock handoffs in headless Chromium 156). Pair `withWebLocks` with
 * {@link IndexedDBTokenStorage} instead.
 *
 * **Security:** anything in `localStorage` (or `sessionStorage`) is readable by every script
 * that runs on the origin, so one XSS hole or one compromised third-party script can take the
 * refresh token away. Use this only for a public SPA client (`clientAuth: 'none'`, PKCE,
 * rotating refresh tokens with a short absolute lifetime), and prefer the in-memory
 * {@link MemoryStorage} (the user logs in again, silently, after a reload) or a backend that
 * keeps the tokens when you can.
 *
 * A stored value that is not a token set (corrupt or foreign JSON) reads as no tokens.
 *
 * @throws {ConfigError} from the constructor, when no Storage is given and the runtime has no
 *   usable `localStorage`, or for a bad prefix.
 * @example
 * ```ts
 * import { TokenClient, TokenManager, WebStorageTokenStorage } from 'authcode'
 * const storage = new WebStorageTokenStorage(localStorage, 'my-app:')
 * const manager = new TokenManager({ client: new TokenClient({ domain, clientId }), storage })
 * await manager.save('me', tokens) // stored as localStorage['my-app:me']
 * ```
 */
export class WebStorageTokenStorage implements TokenStorage {
  readonly #storage: Storage
  readonly #prefix: string

  constructor(storage: Storage = defaultLocalStorage(), prefix = 'authcode:') {
    if (typeof storage !== 'object' || storage === null || typeof storage.getItem !== 'function' || typeof storage.setItem !== 'function') {
      throw new ConfigError('storage', 'must be a Web Storage object such as localStorage or sessionStorage')
    }
    if (typeof prefix !== 'string') throw new ConfigError('prefix', 'must be a string')
    this.#storage = storage
    this.#prefix = prefix
  }

  async get(key: string): Promise<TokenSet | undefined> {
    const raw = this.#storage.getItem(this.#prefix + key)
    if (raw === null) return undefined
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      return undefined
    }
    return isTokenSet(value) ? value : undefined
  }

  async set(key: string, value: TokenSet): Promise<void> {
    this.#storage.setItem(this.#prefix + key, JSON.stringify(value))
  }

  async delete(key: string): Promise<void> {
    this.#storage.removeItem(this.#prefix + key)
  }
}

function defaultLocalStorage(): Storage {
  let storage: Storage | undefined
  try {
    // Reading localStorage throws a SecurityError where storage is blocked (sandboxed frames, some privacy settings).
    storage = (globalThis as { localStorage?: Storage }).localStorage
  } catch (err) {
    throw new ConfigError('storage', 'localStorage is blocked in this context; pass a Storage or use MemoryStorage', { cause: err })
  }
  if (storage === undefined || storage === null) {
    throw new ConfigError('storage', 'this runtime has no localStorage; pass a Storage, or use MemoryStorage outside browsers')
  }
  return storage
}
