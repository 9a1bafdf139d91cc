// SessionStore: where authcode/server keeps sessions server-side, and MemorySessionStore, the one-process default.
import { isObject, optional } from '../lib/shape.js'

/**
 * One access token of a session, for one audience and scope.
 *
 * @example
 * ```ts
 * const token: SessionAccessToken = { accessToken: 'eyJ…', tokenType: 'Bearer', expiresAt: 1767225600, audience: 'https://api.example.com' }
 * ```
 */
export interface SessionAccessToken {
  /** The access token. */
  accessToken: string
  /** `"Bearer"` (or `"DPoP"`). */
  tokenType: string
  /** Epoch seconds; absent when the provider said nothing of the expiry. */
  expiresAt?: number
  /** The scope granted, as the token endpoint reported it. */
  scope?: string
  /** The audience asked for; absent for the login's own token. */
  audience?: string
}

/**
 * A session as `authcode/server` keeps it: in a sealed cookie by default, or in a
 * {@link SessionStore}. Plain JSON-safe data.
 *
 * @example
 * ```ts
 * const data: SessionData = {
 *   id: 'q2Vx…', sub: 'auth0|123', user: { sub: 'auth0|123', name: 'Ada' },
 *   tokens: {}, createdAt: 1767225600, touchedAt: 1767225600,
 * }
 * ```
 */
export interface SessionData {
  /** A random id, new at every login; the store's key. */
  id: string
  /** The user's `sub`. */
  sub: string
  /** The provider's session id (`sid` of the ID token), used by back-channel logout. */
  sid?: string
  /** The ID token's claims. */
  user: Record<string, unknown>
  /** The raw ID token of the login, when there was one (an `id_token_hint` at logout). */
  idToken?: string
  /** The session's one refresh token: every audience's token is refreshed through it. */
  refreshToken?: string
  /** Access tokens by audience and scope (`""` is the login's own). */
  tokens: Record<string, SessionAccessToken>
  /** Epoch seconds of the login (the absolute lifetime counts from it). */
  createdAt: number
  /** Epoch seconds of the last use (the rolling lifetime counts from it). */
  touchedAt: number
}

/**
 * What back-channel logout ends: the sessions with this provider session id and/or user. When
 * both are given, a session must match both.
 *
 * @example
 * ```ts
 * await store.deleteBy({ sid: claims.sid, sub: claims.sub })
 * ```
 */
export interface SessionMatch {
  /** The provider's session id (`sid` of the logout token). */
  sid?: string | undefined
  /** The user (`sub` of the logout token). */
  sub?: string | undefined
}

/**
 * Where `authcode/server` keeps sessions server-side (`session: { store }`): the cookie then
 * holds only a sealed random id. Implement it over any database; `withLock`, when given, makes
 * many instances refresh a session's tokens once.
 *
 * @example
 * ```ts
 * import type { SessionStore, SessionData } from 'authcode/server'
 * class KvSessionStore implements SessionStore {
 *   constructor(private kv: KVNamespace) {}
 *   async get(id: string) { return (await this.kv.get<SessionData>(`session:${id}`, 'json')) ?? undefined }
 *   async set(id: string, data: SessionData, expiresAt: number) {
 *     await this.kv.put(`session:${id}`, JSON.stringify(data), { expiration: expiresAt })
 *   }
 *   async update(id: string, data: SessionData, expiresAt: number) {
 *     // KV cannot write only-if-present atomically: a logout between the two calls can be undone.
 *     if ((await this.get(id)) === undefined) return false
 *     await this.set(id, data, expiresAt)
 *     return true
 *   }
 *   async delete(id: string) { await this.kv.delete(`session:${id}`) }
 *   async deleteBy() { return 0 } // back-channel logout needs an index by sid and sub
 * }
 * ```
 */
export interface SessionStore {
  /** The session, or undefined when there is none (or it expired). */
  get(id: string): Promise<SessionData | undefined>
  /** Stores a new session (a login), which may be forgotten after `expiresAt` (epoch seconds). */
  set(id: string, data: SessionData, expiresAt: number): Promise<void>
  /**
   * Replaces a session only if it still exists, atomically, and says whether it did: a
   * request that read the session before a back-channel logout must not bring it back.
   */
  update(id: string, data: SessionData, expiresAt: number): Promise<boolean>
  /** Removes a session; removing a missing one is not an error. */
  delete(id: string): Promise<void>
  /** Removes every session that matches (back-channel logout) and says how many. */
  deleteBy(match: SessionMatch): Promise<number>
  /** Runs `fn` holding a lock on `id` that other instances sharing the store respect. */
  withLock?<T>(id: string, fn: () => Promise<T>): Promise<T>
}

interface Entry {
  data: SessionData
  expiresAt: number
}

/**
 * A {@link SessionStore} in this process's memory: for one instance, and for tests. Expired
 * sessions are dropped when read, and swept out at most once a minute when one is written.
 *
 * @example
 * ```ts
 * import { createAuth, MemorySessionStore } from 'authcode/server'
 * const auth = createAuth({ ...options, session: { store: new MemorySessionStore() } })
 * ```
 */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>()
  #sweptAt = 0

  async get(id: string): Promise<SessionData | undefined> {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= Date.now() / 1000) {
      this.#entries.delete(id)
      return undefined
    }
    return structuredClone(entry.data)
  }

  async set(id: string, data: SessionData, expiresAt: number): Promise<void> {
    this.#sweep()
    this.#entries.set(id, { data: structuredClone(data), expiresAt })
  }

  async update(id: string, data: SessionData, expiresAt: number): Promise<boolean> {
    if ((await this.get(id)) === undefined) return false
    this.#entries.set(id, { data: structuredClone(data), expiresAt })
    return true
  }

  async delete(id: string): Promise<void> {
    this.#entries.delete(id)
  }

  async deleteBy(match: SessionMatch): Promise<number> {
    if (match.sid === undefined && match.sub === undefined) return 0
    const now = Date.now() / 1000
    let count = 0
    for (const [id, { data, expiresAt }] of this.#entries) {
      if (match.sid !== undefined && data.sid !== match.sid) continue
      if (match.sub !== undefined && data.sub !== match.sub) continue
      this.#entries.delete(id)
      // An expired session not swept out yet is no session: it is dropped, not counted.
      if (expiresAt > now) count++
    }
    return count
  }

  /** The number of sessions held, expired ones included until they are swept. */
  get size(): number {
    return this.#entries.size
  }

  // At most once a minute, so that a write stays O(1) however many sessions there are.
  #sweep(): void {
    const now = Date.now() / 1000
    if (now - this.#sweptAt < 60) return
    this.#sweptAt = now
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(id)
  }
}

/** Whether a value read back from a cookie or a store is a whole SessionData. Internal. */
export function isSessionData(value: unknown): value is SessionData {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.sub === 'string' &&
    optional(value.sid, 'string') &&
    isObject(value.user) &&
    optional(value.idToken, 'string') &&
    optional(value.refreshToken, 'string') &&
    isObject(value.tokens) &&
    Object.values(value.tokens).every(isSessionAccessToken) &&
    typeof value.createdAt === 'number' &&
    typeof value.touchedAt === 'number'
  )
}

function isSessionAccessToken(value: unknown): value is SessionAccessToken {
  return (
    isObject(value) &&
    typeof value.accessToken === 'string' &&
    typeof value.tokenType === 'string' &&
    optional(value.expiresAt, 'number') &&
    optional(value.scope, 'string') &&
    optional(value.audience, 'string')
  )
}
