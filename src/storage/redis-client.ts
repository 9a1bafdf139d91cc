// The Redis client shape the Redis stores call, and the option checks they share.
import { ConfigError } from '../errors.js'

/**
 * The few Redis commands {@link RedisStorage} and {@link RedisSessionStore} call, typed
 * structurally so that any node-redis v5 client (`createClient()`, `createCluster()`, with or
 * without RESP3) fits without this package importing `redis`. Any other client fits through a
 * three-method adapter: replies are read as strings (or bytes), `null` meaning "no value".
 *
 * Only `get`, `del` and `eval` are used; writes and the lock go through small Lua scripts,
 * so no client-specific option object (which differs between client versions, and would be
 * silently ignored by the wrong one) is ever needed. Each call of `RedisStorage` touches one
 * key, so cluster clients work too; `RedisSessionStore`'s scripts touch a session and its
 * index sets together, so on a cluster give it a prefix with a hash tag (`"{authcode}:"`).
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

/** The prefix of every key when the options give none. */
export const DEFAULT_PREFIX = 'authcode:'

const textDecoder = new TextDecoder()

/** The `client` option: a connected client with `get`, `del` and `eval`. */
export function checkClient(value: unknown): RedisClientLike {
  const client = value as Partial<RedisClientLike> | null | undefined
  if (typeof client !== 'object' || client === null || typeof client.get !== 'function' || typeof client.del !== 'function' || typeof client.eval !== 'function') {
    throw new ConfigError('client', 'must be a connected Redis client with get, del and eval (node-redis v5 createClient())')
  }
  return client as RedisClientLike
}

/** The `prefix` option, or the default. */
export function checkPrefix(value: unknown): string {
  if (value !== undefined && typeof value !== 'string') throw new ConfigError('prefix', 'must be a string')
  return value ?? DEFAULT_PREFIX
}

/** A numeric option, or its default when it is undefined. */
export function checkNumber(field: string, value: number | undefined, fallback: number, p: { min: number; integer?: boolean; infinite?: boolean }): number {
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

/** A GET reply as text: clients answer a string, or bytes when asked for buffers; anything else is "no value". */
export function replyText(reply: unknown): string | undefined {
  return typeof reply === 'string' ? reply : reply instanceof Uint8Array ? textDecoder.decode(reply) : undefined
}
