// RedisSessionStore: authcode/server's sessions in Redis, indexed by sid and sub for back-channel logout.
import { ConfigError } from '../errors.js'
import { requireText, wellFormed } from '../lib/checks.js'
import { type RedisClientLike, checkClient, checkPrefix, replyText } from './redis-client.js'
import { type LockTimes, lockTimes, withRedisLock } from './redis-lock.js'
import { type SessionData, type SessionMatch, type SessionStore, isSessionData } from './session-store.js'

/**
 * Options of {@link RedisSessionStore}: those of `RedisStorage` that apply to sessions.
 *
 * Defaults: `prefix` `"authcode:"`, `lockTimeoutMs` 10 000, `lockWaitMs` twice
 * `lockTimeoutMs` plus 1 000 (21 000 with the default `lockTimeoutMs`).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const options: RedisSessionStoreOptions = {
 *   client: await createClient({ url: 'redis://localhost:6379' }).connect(),
 *   prefix: 'myapp:auth:',
 * }
 * ```
 */
export interface RedisSessionStoreOptions {
  /** A connected node-redis v5 client (or anything with the same `get`, `del` and `eval`). */
  client: RedisClientLike
  /**
   * Prefix of every Redis key. Sessions live at `<prefix>session:<id>`, the index sets of
   * back-channel logout at `<prefix>session-sid:<sid>` and `<prefix>session-sub:<sub>`, locks
   * at `<prefix>session-lock:<id>`. On a Redis cluster, put a hash tag in it
   * (`"{authcode}:"`): a session and its index sets are written together, so they must share
   * a slot. Default `"authcode:"`.
   */
  prefix?: string
  /**
   * A lock expires by itself this many milliseconds after it was taken or last renewed, so a
   * crashed instance never blocks the others for longer. While `fn` runs, its holder renews
   * it every third of this time. Default 10 000.
   */
  lockTimeoutMs?: number
  /**
   * How long `withLock` waits for a lock another instance holds, polling with backoff,
   * before it throws `LockTimeoutError`. `0` tries once. Default: twice `lockTimeoutMs` plus
   * 1 000 (21 000), so that a waiter outlasts the lock of a holder that crashed.
   */
  lockWaitMs?: number
}

// Every script is Lua, not MULTI: a session and its index sets change together or not at all
// (a crash between the two would leave a session that back-channel logout cannot find), and
// the scripts must read before they write (the old sid and sub to un-index, each indexed
// session to check that it matches), which MULTI cannot do without WATCH and retries.
// RedisClientLike has no MULTI either: node-redis and ioredis spell it differently.
//
// The scripts build keys from ARGV[1], the prefix, exactly as the class below does: the
// sessions named by an index set cannot be listed in KEYS in advance.
//
// They read a session's sub and sid from the head of its JSON, where `set` writes them, and
// never decode the rest: Redis's cjson refuses JSON that JSON.parse takes (the escape of a lone
// surrogate, nesting past 1 000), and claims are the provider's and often the user's to choose,
// so a whole-document decode would let a user make their session one logout cannot find.
const COMMON = `local prefix = ARGV[1]
local function sessionKey(id) return prefix .. 'session:' .. id end
local function indexKey(kind, value) return prefix .. 'session-' .. kind .. ':' .. value end
-- The JSON string literal at position i of s, quotes included, and the position after it.
local function literal(s, i)
  if s:sub(i, i) ~= '"' then return nil end
  local j = i + 1
  while true do
    local at = s:find('["\\\\]', j)
    if not at then return nil end
    if s:sub(at, at) == '"' then return s:sub(i, at), at + 1 end
    j = at + 2
  end
end
-- The sub and sid of the session at key, or nil when there is none or it is not a session's JSON.
local function read(key)
  local json = redis.pcall('GET', key)
  if type(json) ~= 'string' or json:sub(1, 7) ~= '{"sub":' then return nil end
  local sub, after = literal(json, 8)
  if not sub then return nil end
  local sid = json:sub(after, after + 6) == ',"sid":' and literal(json, after + 7) or nil
  local ok, data = pcall(function() return { sub = cjson.decode(sub), sid = sid and cjson.decode(sid) } end)
  if ok and type(data.sub) == 'string' then return data end
  return nil
end
local function unindex(id, data)
  redis.call('SREM', indexKey('sub', data.sub), id)
  if type(data.sid) == 'string' then redis.call('SREM', indexKey('sid', data.sid), id) end
end
`

// KEYS: the session, then the index sets it goes in. ARGV: prefix, id, JSON, expiry (epoch ms).
// An index set lives as long as its longest-lived session. A few random members of each are
// checked and dropped when their session has expired, so a user who logs in every day does
// not grow an index set for ever.
const SET = `${COMMON}
local id, at = ARGV[2], ARGV[4]
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end -- update: only a session still there
local old = read(KEYS[1])
if old then unindex(id, old) end
redis.call('SET', KEYS[1], ARGV[3], 'PXAT', at)
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end -- already expired by the server's clock: gone, and un-indexed
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], id)
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIREAT', KEYS[i], at) end
  for _, member in ipairs(redis.call('SRANDMEMBER', KEYS[i], 8)) do
    if redis.call('EXISTS', sessionKey(member)) == 0 then redis.call('SREM', KEYS[i], member) end
  end
end
return 1`

// KEYS: the session. ARGV: prefix, id.
const DELETE = `${COMMON}
local old = read(KEYS[1])
if old then unindex(ARGV[2], old) end
return redis.call('DEL', KEYS[1])`

// KEYS: the index set to walk (the sid's when a sid is given, else the sub's).
// ARGV: prefix, '1' when matching a sid, the sid, '1' when matching a sub, the sub.
// Returns how many sessions it deleted; members whose session is gone are dropped.
const DELETE_BY = `${COMMON}
local bySid, sid, bySub, sub = ARGV[2] == '1', ARGV[3], ARGV[4] == '1', ARGV[5]
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local data = read(sessionKey(id))
  local indexed = data and ((bySid and data.sid == sid) or (not bySid and data.sub == sub))
  if not indexed then
    redis.call('SREM', KEYS[1], id)
  elseif not bySub or data.sub == sub then
    unindex(id, data)
    redis.call('DEL', sessionKey(id))
    count = count + 1
  end
end
return count`

/**
 * A {@link SessionStore} in Redis, for `authcode/server` apps that run more than one
 * instance. A session is JSON at `<prefix>session:<id>` and expires at its `expiresAt`; the
 * sets `<prefix>session-sid:<sid>` and `<prefix>session-sub:<sub>` name the sessions of a
 * provider session and of a user, so that `deleteBy` (back-channel logout) finds them. Each
 * write changes a session and its index sets in one Lua script, so no crash leaves a session
 * that logout cannot find. `withLock` is `RedisStorage`'s lock, at
 * `<prefix>session-lock:<id>`.
 *
 * A stored value that is not a session's JSON (another program's, or a corrupted one) reads
 * as no session.
 *
 * @throws {ConfigError} from the constructor, for a missing client or a bad option; from
 * `set`, for an empty id, data that is not a session (or whose `sub` or `sid` has a lone
 * UTF-16 surrogate) or an `expiresAt` that is not a time.
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { createAuth } from 'authcode/server'
 * import { RedisSessionStore } from 'authcode/storage/redis'
 *
 * const redis = await createClient({ url: 'redis://localhost:6379' }).connect()
 * const auth = createAuth({ ...options, session: { store: new RedisSessionStore({ client: redis }) } })
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisClientLike
  readonly #prefix: string
  readonly #lock: LockTimes

  constructor(p: RedisSessionStoreOptions) {
    this.#client = checkClient((p as Partial<RedisSessionStoreOptions> | undefined)?.client)
    this.#prefix = checkPrefix(p.prefix)
    this.#lock = lockTimes(p)
  }

  /** The session, or undefined when there is none, it expired, or the value is not a session. */
  async get(id: string): Promise<SessionData | undefined> {
    const text = replyText(await this.#client.get(this.#sessionKey(id)))
    if (text === undefined) return undefined
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return undefined
    }
    return isSessionData(value) ? value : undefined
  }

  /**
   * Stores (replaces) the session until `expiresAt` (epoch seconds), in the index sets of its
   * `sid` and `sub` and out of those of the session it replaces. An `expiresAt` already past
   * removes the session.
   */
  async set(id: string, data: SessionData, expiresAt: number): Promise<void> {
    await this.#write(id, data, expiresAt, false)
  }

  /**
   * Replaces the session only if it is still there, in one script (a back-channel logout cannot
   * slip in between), and says whether it was.
   */
  async update(id: string, data: SessionData, expiresAt: number): Promise<boolean> {
    return this.#write(id, data, expiresAt, true)
  }

  async #write(id: string, data: SessionData, expiresAt: number, onlyIfThere: boolean): Promise<boolean> {
    requireText(id, 'id')
    if (!isSessionData(data)) throw new ConfigError('data', 'must be SessionData (id, sub, user, tokens, createdAt, touchedAt)')
    wellFormed(data.sub, 'data.sub')
    if (data.sid !== undefined) wellFormed(data.sid, 'data.sid')
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt <= 0) throw new ConfigError('expiresAt', 'must be a time in epoch seconds')
    const at = Math.ceil(expiresAt * 1000)
    if (at <= Date.now()) {
      await this.delete(id)
      return false
    }
    const keys = [this.#sessionKey(id), this.#indexKey('sub', data.sub)]
    if (data.sid !== undefined) keys.push(this.#indexKey('sid', data.sid))
    // sub and sid first, where the scripts read them.
    const { sub, sid, ...rest } = data
    const json = JSON.stringify({ sub, sid, ...rest })
    return Number(await this.#client.eval(SET, { keys, arguments: [this.#prefix, id, json, String(at), onlyIfThere ? '1' : '0'] })) === 1
  }

  /** Removes the session and takes it out of its index sets; removing a missing one is not an error. */
  async delete(id: string): Promise<void> {
    await this.#client.eval(DELETE, { keys: [this.#sessionKey(id)], arguments: [this.#prefix, id] })
  }

  /**
   * Removes every live session with this `sid` and/or `sub` (both must match when both are
   * given) and says how many; `0` when neither is given. Index members whose session has
   * expired are dropped on the way.
   */
  async deleteBy(match: SessionMatch): Promise<number> {
    const { sid, sub } = match ?? {}
    if (sid !== undefined && typeof sid !== 'string') throw new ConfigError('sid', 'must be a string')
    if (sub !== undefined && typeof sub !== 'string') throw new ConfigError('sub', 'must be a string')
    const index = sid !== undefined ? this.#indexKey('sid', sid) : sub !== undefined ? this.#indexKey('sub', sub) : undefined
    if (index === undefined) return 0
    const reply = await this.#client.eval(DELETE_BY, {
      keys: [index],
      arguments: [this.#prefix, sid === undefined ? '0' : '1', sid ?? '', sub === undefined ? '0' : '1', sub ?? ''],
    })
    return Number(reply)
  }

  /**
   * Runs `fn` holding the Redis lock on the session `id`, which every instance sharing the
   * store respects.
   *
   * @throws {LockTimeoutError} the lock was not free within `lockWaitMs`; `fn` did not run.
   */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return withRedisLock(this.#client, `${this.#prefix}session-lock:${id}`, this.#lock, fn)
  }

  #sessionKey(id: string): string {
    return `${this.#prefix}session:${id}`
  }

  #indexKey(kind: 'sid' | 'sub', value: string): string {
    return `${this.#prefix}session-${kind}:${value}`
  }
}
