// A TokenStorage over Cloudflare Workers KV: the whole adapter is get/set/delete.
import type { TokenSet, TokenStorage } from 'authcode'

/** The part of Workers' KVNamespace this adapter uses (from @cloudflare/workers-types). */
export interface KvNamespaceLike {
  get(key: string, type: 'json'): Promise<unknown>
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>
  delete(key: string): Promise<void>
}

export class CloudflareKvStorage implements TokenStorage {
  constructor(private readonly kv: KvNamespaceLike, private readonly prefix = 'authcode:') {}

  async get(key: string): Promise<TokenSet | undefined> {
    return ((await this.kv.get(this.prefix + key, 'json')) as TokenSet | null) ?? undefined
  }

  async set(key: string, value: TokenSet): Promise<void> {
    // Without a refresh token the set is useless once the access token expires; KV needs >= 60 s.
    const ttl = value.refreshToken === undefined && value.expiresAt !== undefined
      ? Math.max(60, value.expiresAt - Math.floor(Date.now() / 1000))
      : undefined
    await this.kv.put(this.prefix + key, JSON.stringify(value), ttl === undefined ? {} : { expirationTtl: ttl })
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(this.prefix + key)
  }
  // No withLock: KV has no atomic compare-and-set. Each isolate still refreshes once per key
  // (TokenManager's single-flight); across isolates, use a Durable Object or Redis for the lock.
}
