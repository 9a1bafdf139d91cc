// RedisStorage against a real redis-server: JSON round-trip, expiry, the lock, and one refresh for two TokenManagers.
import { createClient, createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, LockTimeoutError, TokenClient, TokenManager, type TokenSet } from 'authcode'
import { type RedisClientLike, RedisStorage } from '../src/storage/redis.js'
import { type RedisServer, requireRedisServer, startRedisServer, startTokenEndpoint } from './helpers/redis.js'

type Client = ReturnType<typeof createClient>

const available = requireRedisServer('test/redis-storage.test.ts')
const DAY = 24 * 60 * 60
const now = () => Math.floor(Date.now() / 1000)

// Type-level: node-redis v5 clients (single node and cluster) fit RedisClientLike without casts.
export function clientTypesFit(): RedisClientLike[] {
  return [createClient(), createCluster({ rootNodes: [] }), createClient({ RESP: 3 })]
}

describe.skipIf(!available)('RedisStorage against a real redis-server', () => {
  let server: RedisServer
  let raw: Client
  const clients: Client[] = []

  async function connect(): Promise<Client> {
    const client = await createClient({ url: server.url }).connect()
    clients.push(client)
    return client
  }

  function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    return { promise, resolve }
  }

  async function until(check: () => Promise<boolean> | boolean): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (await check()) return
      await new Promise((r) => setTimeout(r, 5))
    }
    throw new Error('condition not met')
  }

  beforeAll(async () => {
    server = await startRedisServer()
    raw = await connect()
  }, 30_000)

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await server?.stop()
  })

  describe('get, set and delete', () => {
    const tokens: TokenSet = {
      accessToken: 'at-1',
      tokenType: 'Bearer',
      expiresAt: now() + 3600,
      refreshToken: 'rt-1',
      idToken: 'id.token.here',
      scope: 'openid offline_access',
      claims: { iss: 'https://t.example/', sub: 'user-1', aud: 'client', exp: now() + 3600, iat: now(), 'https://example.com/roles': ['admin'] },
    }

    it('stores the token set as JSON under <prefix>tokens:<key> and reads it back equal', async () => {
      const storage = new RedisStorage({ client: raw, prefix: 'rt-test:' })
      await storage.set('user-1', tokens)
      expect(JSON.parse((await raw.get('rt-test:tokens:user-1'))!)).toEqual(tokens)
      expect(await storage.get('user-1')).toEqual(tokens)
      await storage.delete('user-1')
      expect(await raw.exists('rt-test:tokens:user-1')).toBe(0)
      expect(await storage.get('user-1')).toBeUndefined()
    })

    it('uses "authcode:" by default and keeps prefixes apart', async () => {
      const plain = new RedisStorage({ client: raw })
      const other = new RedisStorage({ client: raw, prefix: 'other:' })
      await plain.set('shared-key', tokens)
      expect(await raw.exists('authcode:tokens:shared-key')).toBe(1)
      expect(await other.get('shared-key')).toBeUndefined()
      await other.delete('shared-key')
      expect(await plain.get('shared-key')).toEqual(tokens)
      await plain.delete('shared-key')
    })

    it('reads a missing key as undefined, deletes a missing key without error, and reads a non-token value as missing', async () => {
      const storage = new RedisStorage({ client: raw, prefix: 'missing:' })
      expect(await storage.get('nobody')).toBeUndefined()
      await expect(storage.delete('nobody')).resolves.toBeUndefined()
      await raw.set('missing:tokens:garbage', 'not json {')
      expect(await storage.get('garbage')).toBeUndefined()
      await raw.set('missing:tokens:wrong-shape', JSON.stringify({ hello: 'world' }))
      expect(await storage.get('wrong-shape')).toBeUndefined()
    })

    it('reads values from a RESP3 client too', async () => {
      const resp3 = await createClient({ url: server.url, RESP: 3 }).connect()
      clients.push(resp3)
      const storage = new RedisStorage({ client: resp3, prefix: 'resp3:' })
      await storage.set('k', tokens)
      expect(await storage.get('k')).toEqual(tokens)
    })

    it('refuses a missing client and bad options with ConfigError naming the field', () => {
      expect(() => new RedisStorage({} as never)).toThrow(ConfigError)
      const field = (options: object) => {
        try {
          new RedisStorage({ client: raw, ...options })
        } catch (err) {
          return err instanceof ConfigError ? err.field : 'not a ConfigError'
        }
        return 'no error'
      }
      expect(field({ lockTimeoutMs: 0 })).toBe('lockTimeoutMs')
      expect(field({ lockTimeoutMs: 1.5 })).toBe('lockTimeoutMs')
      expect(field({ lockWaitMs: -1 })).toBe('lockWaitMs')
      expect(field({ ttlPaddingSeconds: Number.NaN })).toBe('ttlPaddingSeconds')
      expect(field({ sessionTtlSeconds: 0 })).toBe('sessionTtlSeconds')
      expect(field({ prefix: 5 })).toBe('prefix')
      expect(field({ sessionTtlSeconds: Infinity, lockWaitMs: 0 })).toBe('no error')
    })
  })

  describe('expiry', () => {
    const storage = () => new RedisStorage({ client: raw, prefix: 'ttl:' })

    it('keeps a set with a refresh token for 30 days after its last write, not until its access token expires', async () => {
      await storage().set('fresh', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() + 3600, refreshToken: 'r' })
      const ttl = await raw.ttl('ttl:tokens:fresh')
      expect(ttl).toBeGreaterThan(30 * DAY - 5)
      expect(ttl).toBeLessThanOrEqual(30 * DAY)
    })

    it('keeps a set whose access token has already expired while it has a refresh token', async () => {
      await storage().set('stale', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() - 600, refreshToken: 'r' })
      expect(await raw.ttl('ttl:tokens:stale')).toBeGreaterThan(30 * DAY - 5)
      expect(await storage().get('stale')).toMatchObject({ refreshToken: 'r' })
    })

    it('expires a set without a refresh token at expiresAt plus ttlPaddingSeconds (default 60)', async () => {
      await storage().set('short', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() + 100 })
      const pttl = await raw.pTTL('ttl:tokens:short')
      expect(pttl).toBeGreaterThan(158_000)
      expect(pttl).toBeLessThanOrEqual(161_000)

      await new RedisStorage({ client: raw, prefix: 'ttl:', ttlPaddingSeconds: 0 }).set('exact', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() + 100 })
      const exact = await raw.pTTL('ttl:tokens:exact')
      expect(exact).toBeGreaterThan(98_000)
      expect(exact).toBeLessThanOrEqual(101_000)
    })

    it('does not keep a set without a refresh token that expired beyond the padding (and removes the old one)', async () => {
      await storage().set('dead', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() + 100 })
      await storage().set('dead', { accessToken: 'b', tokenType: 'Bearer', expiresAt: now() - 61 })
      expect(await raw.exists('ttl:tokens:dead')).toBe(0)
    })

    it('keeps a set with no expiresAt for sessionTtlSeconds, and forever with Infinity', async () => {
      await new RedisStorage({ client: raw, prefix: 'ttl:', sessionTtlSeconds: 120 }).set('no-exp', { accessToken: 'a', tokenType: 'Bearer' })
      const ttl = await raw.ttl('ttl:tokens:no-exp')
      expect(ttl).toBeGreaterThan(115)
      expect(ttl).toBeLessThanOrEqual(120)
      await new RedisStorage({ client: raw, prefix: 'ttl:', sessionTtlSeconds: Infinity }).set('forever', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() - 600, refreshToken: 'r' })
      expect(await raw.ttl('ttl:tokens:forever')).toBe(-1)
    })

    it('keeps a refreshable set at least until its access token expires when that is later than sessionTtlSeconds', async () => {
      await new RedisStorage({ client: raw, prefix: 'ttl:', sessionTtlSeconds: 60 }).set('long-at', { accessToken: 'a', tokenType: 'Bearer', expiresAt: now() + 1000, refreshToken: 'r' })
      expect(await raw.ttl('ttl:tokens:long-at')).toBeGreaterThan(1050)
    })
  })

  describe('withLock', () => {
    it('takes <prefix>lock:<key> with a random token and a PX expiry, and releases it after fn', async () => {
      const storage = new RedisStorage({ client: raw, prefix: 'lk:', lockTimeoutMs: 5_000 })
      const seen = await storage.withLock('k', async () => ({ value: await raw.get('lk:lock:k'), pttl: await raw.pTTL('lk:lock:k') }))
      expect(seen.value).toMatch(/^[0-9a-f]{32}$/)
      expect(seen.pttl).toBeGreaterThan(4_000)
      expect(seen.pttl).toBeLessThanOrEqual(5_000)
      expect(await raw.exists('lk:lock:k')).toBe(0)
      await expect(storage.withLock('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
      expect(await raw.exists('lk:lock:k')).toBe(0)
    })

    it('runs two holders of one key one after the other, from two clients', async () => {
      const a = new RedisStorage({ client: await connect(), prefix: 'ex:' })
      const b = new RedisStorage({ client: await connect(), prefix: 'ex:' })
      const log: string[] = []
      const work = (name: string) => async () => {
        log.push(`${name} start`)
        // Yield many times: with a broken lock the other holder would start in here.
        for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2))
        log.push(`${name} end`)
        return name
      }
      const results = await Promise.all([a.withLock('same', work('a')), b.withLock('same', work('b')), a.withLock('same', work('c'))])
      expect(results).toEqual(['a', 'b', 'c'])
      expect(log).toHaveLength(6)
      for (let i = 0; i < 6; i += 2) {
        expect(log[i]).toMatch(/ start$/)
        expect(log[i + 1]).toBe(log[i]!.replace('start', 'end'))
      }
    })

    it('does not make different keys wait for each other', async () => {
      const storage = new RedisStorage({ client: raw, prefix: 'keys:', lockWaitMs: 0 })
      const inner = await storage.withLock('one', () => storage.withLock('two', async () => 'both held'))
      expect(inner).toBe('both held')
    })

    it('throws LockTimeoutError after lockWaitMs while another holds the lock, without running fn', async () => {
      const holder = new RedisStorage({ client: await connect(), prefix: 'wait:' })
      const waiter = new RedisStorage({ client: await connect(), prefix: 'wait:', lockWaitMs: 300 })
      const held = deferred()
      const release = deferred()
      const holding = holder.withLock('busy', async () => {
        held.resolve()
        await release.promise
      })
      await held.promise
      let ran = false
      const started = Date.now()
      const error = await waiter.withLock('busy', async () => (ran = true)).catch((err: unknown) => err)
      expect(error).toBeInstanceOf(LockTimeoutError)
      expect((error as LockTimeoutError).code).toBe('ERR_LOCK_TIMEOUT')
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      expect(ran).toBe(false)
      release.resolve()
      await holding
      await expect(waiter.withLock('busy', async () => 'free again')).resolves.toBe('free again')
    })

    it('waits for a lock left by a crashed holder until it expires', async () => {
      await raw.set('crash:lock:k', 'dead-instance', { expiration: { type: 'PX', value: 200 } })
      const storage = new RedisStorage({ client: raw, prefix: 'crash:', lockWaitMs: 3_000 })
      const started = Date.now()
      await expect(storage.withLock('k', async () => 'ran after expiry')).resolves.toBe('ran after expiry')
      expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    })

    it('by default rides out a holder that died right after renewing: the waiter gets the lock once its TTL passes', async () => {
      // The dead holder's last act: its renewal set the full TTL. It never renews nor releases again.
      const storage = new RedisStorage({ client: await connect(), prefix: 'dead:', lockTimeoutMs: 400 })
      await raw.set('dead:lock:k', 'dead-instance', { condition: 'NX', expiration: { type: 'PX', value: 400 } })
      const started = Date.now()
      await expect(storage.withLock('k', async () => 'ran after the dead holder\'s lock expired')).resolves.toBe('ran after the dead holder\'s lock expired')
      expect(Date.now() - started).toBeGreaterThanOrEqual(350)
    })

    it('by default waits two lock TTLs plus 1 s, whatever lockTimeoutMs is: longer than a dead holder\'s lock can live', async () => {
      // A live holder that renews its lock for ever: the waiter must give up, and when shows the default wait.
      await raw.set('live:lock:k', 'live-instance', { condition: 'NX', expiration: { type: 'PX', value: 300 } })
      const renewing = setInterval(() => void raw.pExpire('live:lock:k', 300), 100)
      try {
        const storage = new RedisStorage({ client: await connect(), prefix: 'live:', lockTimeoutMs: 300 })
        const started = Date.now()
        const error = await storage.withLock('k', async () => 'never').catch((err: unknown) => err)
        const waited = Date.now() - started
        expect(error).toBeInstanceOf(LockTimeoutError)
        expect((error as Error).message).toContain('within 1600 ms')
        expect(waited).toBeGreaterThanOrEqual(1_550)
        expect(waited).toBeLessThan(3_000)
      } finally {
        clearInterval(renewing)
        await raw.del('live:lock:k')
      }
    })

    it('renews its lock while fn runs longer than lockTimeoutMs', async () => {
      const holder = new RedisStorage({ client: await connect(), prefix: 'renew:', lockTimeoutMs: 300 })
      const other = new RedisStorage({ client: await connect(), prefix: 'renew:', lockWaitMs: 0 })
      let intruded = 0
      await holder.withLock('k', async () => {
        // 1.2 s in all, four times lockTimeoutMs: without renewal the lock would expire in here.
        for (let i = 0; i < 12; i++) {
          await new Promise((r) => setTimeout(r, 100))
          await other.withLock('k', async () => intruded++).catch((err: unknown) => {
            if (!(err instanceof LockTimeoutError)) throw err
          })
        }
      })
      expect(intruded).toBe(0)
      expect(await raw.exists('renew:lock:k')).toBe(0)
    })

    it('never releases a lock it no longer owns (its own expired and another holder took it)', async () => {
      const first = new RedisStorage({ client: await connect(), prefix: 'own:' })
      const second = new RedisStorage({ client: await connect(), prefix: 'own:' })
      const third = new RedisStorage({ client: await connect(), prefix: 'own:', lockWaitMs: 100 })
      const secondHolds = deferred()
      const secondMayFinish = deferred()
      let secondRun: Promise<void> | undefined
      let firstToken: string | null = null
      await first.withLock('k', async () => {
        firstToken = await raw.get('own:lock:k')
        await raw.del('own:lock:k') // the first holder's lock expires
        secondRun = second.withLock('k', async () => {
          secondHolds.resolve()
          await secondMayFinish.promise
        })
        await secondHolds.promise
      }) // first releases here: it must leave the second holder's lock alone
      const secondToken = await raw.get('own:lock:k')
      expect(secondToken).toMatch(/^[0-9a-f]{32}$/)
      expect(secondToken).not.toBe(firstToken)
      await expect(third.withLock('k', async () => 'intruder')).rejects.toBeInstanceOf(LockTimeoutError)
      secondMayFinish.resolve()
      await secondRun
      expect(await raw.exists('own:lock:k')).toBe(0)
    })

    it('leaves alone a lock whose value is no longer its own token', async () => {
      // The same check as above but with a foreign lock value set directly, as another library would.
      const storage = new RedisStorage({ client: raw, prefix: 'foreign:' })
      await storage.withLock('k', async () => {
        await raw.set('foreign:lock:k', 'someone-else', { expiration: { type: 'PX', value: 10_000 } })
      })
      expect(await raw.get('foreign:lock:k')).toBe('someone-else')
      await raw.del('foreign:lock:k')
    })
  })

  describe('with TokenManager', () => {
    it('refreshes once for 2 x 100 concurrent getAccessToken calls in two managers with two clients', async () => {
      const endpoint = await startTokenEndpoint({ refreshToken: 'rt-0', delayMs: 150 })
      try {
        const config = { issuer: endpoint.issuer, clientId: 'client-1', clientSecret: 'secret-1', allowInsecureRequests: true }
        const storageA = new RedisStorage({ client: await connect(), prefix: 'tm:' })
        const storageB = new RedisStorage({ client: await connect(), prefix: 'tm:' })
        const managerA = new TokenManager({ client: new TokenClient(config), storage: storageA })
        const managerB = new TokenManager({ client: new TokenClient({ ...config }), storage: storageB })
        await managerA.save('user-1', { accessToken: 'at-0', tokenType: 'Bearer', expiresAt: now() - 10, refreshToken: 'rt-0' })

        const calls = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? managerA : managerB).getAccessToken('user-1'))
        const tokens = await Promise.all(calls)

        expect(endpoint.refreshes).toBe(1)
        expect(endpoint.rejected).toBe(0)
        expect(new Set(tokens).size).toBe(1)
        expect(tokens[0]).toMatch(/^at-1-/)
        const stored = await storageB.get('user-1')
        expect(stored?.accessToken).toBe(tokens[0])
        expect(stored?.refreshToken).toBe(endpoint.currentRefreshToken)
        expect(await raw.exists('tm:lock:user-1')).toBe(0)
      } finally {
        await endpoint.close()
      }
    })
  })
})
