// A TokenStorage over Deno KV, with withLock built on KV's atomic check-and-set.
import { LockTimeoutError, type TokenSet, type TokenStorage } from 'authcode'

/** The part of Deno.Kv this adapter uses. */
export interface DenoKvLike {
  get<T>(key: unknown[]): Promise<{ value: T | null; versionstamp: string | null }>
  set(key: unknown[], value: unknown, options?: { expireIn?: number }): Promise<unknown>
  delete(key: unknown[]): Promise<void>
  atomic(): {
    check(...checks: { key: unknown[]; versionstamp: string | null }[]): ReturnType<DenoKvLike['atomic']>
    set(key: unknown[], value: unknown, options?: { expireIn?: number }): ReturnType<DenoKvLike['atomic']>
    delete(key: unknown[]): ReturnType<DenoKvLike['atomic']>
    commit(): Promise<{ ok: boolean; versionstamp?: string }>
  }
}

export class DenoKvStorage implements TokenStorage {
  constructor(private readonly kv: DenoKvLike, private readonly lockMs = 10_000) {}

  async get(key: string): Promise<TokenSet | undefined> {
    return (await this.kv.get<TokenSet>(['authcode', key])).value ?? undefined
  }

  async set(key: string, value: TokenSet): Promise<void> {
    await this.kv.set(['authcode', key], value)
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(['authcode', key])
  }

  /** Many Deno Deploy isolates, one refresh: a lock entry created only if absent, expiring by itself. */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lock = ['authcode-lock', key]
    const deadline = Date.now() + this.lockMs
    let stamp: string | undefined
    while (stamp === undefined) {
      const taken = await this.kv.atomic().check({ key: lock, versionstamp: null }).set(lock, Date.now(), { expireIn: this.lockMs }).commit()
      if (taken.ok) stamp = taken.versionstamp ?? ''
      else if (Date.now() > deadline) throw new LockTimeoutError('Another instance held the refresh lock too long')
      else await new Promise((r) => setTimeout(r, 25 + Math.random() * 50))
    }
    try {
      return await fn()
    } finally {
      // Release only our own lock: if it expired and another instance took it, leave theirs.
      await this.kv.atomic().check({ key: lock, versionstamp: stamp }).delete(lock).commit()
    }
  }
}
