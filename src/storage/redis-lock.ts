// The Redis lock of RedisStorage and RedisSessionStore: taken with SET NX PX, renewed while held, released by its holder only.
import { LockTimeoutError } from '../errors.js'
import { type RedisClientLike, checkNumber } from './redis-client.js'

/** How long a lock lives without renewal, and how long a caller waits for one. */
export interface LockTimes {
  timeoutMs: number
  waitMs: number
}

const DEFAULT_LOCK_TIMEOUT_MS = 10_000
// The default lockWaitMs is twice the lock's TTL plus this: longer than a dead holder's lock
// lives (one TTL after its last renewal), with room for the polling backoff.
const LOCK_WAIT_MARGIN_MS = 1_000
const FIRST_RETRY_MS = 10
const MAX_RETRY_MS = 250

// 'OK' when taken, nil when someone else holds it.
const ACQUIRE = `return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])`
// Compare-and-delete / compare-and-extend: only the holder of the random token touches the lock.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

/** The `lockTimeoutMs` and `lockWaitMs` options, checked, with their defaults (10 000, and twice `lockTimeoutMs` plus 1 000). */
export function lockTimes(p: { lockTimeoutMs?: number | undefined; lockWaitMs?: number | undefined }): LockTimes {
  const timeoutMs = checkNumber('lockTimeoutMs', p.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, { min: 1, integer: true })
  const waitMs = checkNumber('lockWaitMs', p.lockWaitMs, timeoutMs * 2 + LOCK_WAIT_MARGIN_MS, { min: 0 })
  return { timeoutMs, waitMs }
}

function randomToken(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs `fn` holding the lock `lockKey`: `SET lockKey <random> NX PX timeoutMs`, polled with
 * backoff for up to `waitMs`; renewed while `fn` runs; released when it settles by a
 * compare-and-delete script, so a holder whose lock expired never deletes the next holder's.
 *
 * @throws {LockTimeoutError} the lock was not free within `waitMs`; `fn` did not run.
 */
export async function withRedisLock<T>(client: RedisClientLike, lockKey: string, times: LockTimes, fn: () => Promise<T>): Promise<T> {
  const token = randomToken()
  await acquire(client, lockKey, token, times)
  const stopRenewing = renew(client, lockKey, token, times.timeoutMs)
  try {
    return await fn()
  } finally {
    stopRenewing()
    try {
      await client.eval(RELEASE, { keys: [lockKey], arguments: [token] })
    } catch {
      // The work is done; an unreleased lock expires by itself within lockTimeoutMs, and
      // an error here would hide fn's own result or error.
    }
  }
}

async function acquire(client: RedisClientLike, lockKey: string, token: string, times: LockTimes): Promise<void> {
  const deadline = Date.now() + times.waitMs
  let delay = FIRST_RETRY_MS
  for (;;) {
    const reply = await client.eval(ACQUIRE, { keys: [lockKey], arguments: [token, String(times.timeoutMs)] })
    if (reply !== null && reply !== undefined) return
    const left = deadline - Date.now()
    if (left <= 0) {
      throw new LockTimeoutError(
        `The refresh lock was not free within ${times.waitMs} ms (lockWaitMs): another instance held it. Nothing was refreshed; try again`,
      )
    }
    // Exponential backoff with jitter, so waiters do not poll in step; never past the deadline.
    await sleep(Math.min(left, delay / 2 + Math.random() * (delay / 2)))
    delay = Math.min(delay * 2, MAX_RETRY_MS)
  }
}

// Keeps the lock alive while fn runs (a refresh with retries may outlast lockTimeoutMs);
// a crashed holder stops renewing, and the lock expires within lockTimeoutMs.
function renew(client: RedisClientLike, lockKey: string, token: string, timeoutMs: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const interval = Math.max(1, Math.floor(timeoutMs / 3))
  const schedule = () => {
    timer = setTimeout(() => {
      client.eval(RENEW, { keys: [lockKey], arguments: [token, String(timeoutMs)] }).then(
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
