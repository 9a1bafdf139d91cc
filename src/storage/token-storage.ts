// TokenStorage: where a TokenManager keeps token sets, and the lock that makes many instances refresh once.
import type { TokenSet } from '../token-set.js'

/**
 * Where a {@link TokenManager} keeps token sets, one per key (a session or user ID). Values
 * are plain JSON-safe objects. Implement it over any store: Redis, a database, Cloudflare KV,
 * Deno KV, a sealed cookie.
 *
 * `withLock` is optional. Give it when several processes or instances share the store: a
 * TokenManager then refreshes inside the lock and reads the store again first, so two
 * instances never spend the same refresh token (with rotation, the second spend would make
 * the provider revoke the whole token family and log the user out).
 *
 * @example
 * ```ts
 * import type { TokenStorage, TokenSet } from 'authcode'
 * export class KvStorage implements TokenStorage {
 *   constructor(private kv: KVNamespace) {}
 *   async get(key: string) {
 *     return (await this.kv.get<TokenSet>(`tokens:${key}`, 'json')) ?? undefined
 *   }
 *   async set(key: string, value: TokenSet) {
 *     await this.kv.put(`tokens:${key}`, JSON.stringify(value))
 *   }
 *   async delete(key: string) {
 *     await this.kv.delete(`tokens:${key}`)
 *   }
 * }
 * ```
 */
export interface TokenStorage {
  /** The stored token set, or undefined. */
  get(key: string): Promise<TokenSet | undefined>
  /** Stores (replaces) the token set. */
  set(key: string, value: TokenSet): Promise<void>
  /** Removes the token set; removing a missing key is not an error. */
  delete(key: string): Promise<void>
  /** Runs `fn` while holding a lock on `key` that other instances sharing the store respect. */
  withLock?<T>(key: string, fn: () => Promise<T>): Promise<T>
}
