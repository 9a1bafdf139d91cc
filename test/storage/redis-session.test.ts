// RedisSessionStore against a real redis-server: round trip, expiry, index sets for back-channel logout, the lock, prefixes.
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, LockTimeoutError } from 'authcode'
import { RedisSessionStore } from '../../src/storage/redis.js'
import type { SessionData } from '../../src/storage/session-store.js'
import { type RedisServer, requireRedisServer, startRedisServer } from '../helpers/redis.js'

type Client = ReturnType<typeof createClient>

const available = requireRedisServer('test/storage/redis-session.test.ts')
const now = () => Math.floor(Date.now() / 1000)

function session(id: string, p: { sub?: string; sid?: string } = {}): SessionData {
  const sub = p.sub ?? 'auth0|user-1'
  return {
    id,
    sub,
    ...(p.sid === undefined ? {} : { sid: p.sid }),
    user: { sub, name: 'Ada', 'https://example.com/roles': ['admin'] },
    idToken: 'header.payload.signature',
    refreshToken: 'rt-1',
    tokens: { '': { accessToken: 'at-1', tokenType: 'Bearer', expiresAt: now() + 3600, scope: 'openid profile' } },
    createdAt: now(),
    touchedAt: now(),
  }
}

describe.skipIf(!available)('RedisSessionStore against a real redis-server', () => {
  let server: RedisServer
  let raw: Client
  const clients: Client[] = []

  async function connect(database?: number): Promise<Client> {
    const client = await createClient({ url: server.url, ...(database === undefined ? {} : { database }) }).connect()
    clients.push(client)
    return client
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
    it('stores the session as JSON under <prefix>session:<id> and reads it back equal', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'rt:' })
      const data = session('s1', { sid: 'sid-1' })
      await store.set('s1', data, now() + 3600)
      expect(JSON.parse((await raw.get('rt:session:s1'))!)).toEqual(data)
      expect(await store.get('s1')).toEqual(data)
      expect(await raw.sMembers('rt:session-sid:sid-1')).toEqual(['s1'])
      expect(await raw.sMembers('rt:session-sub:auth0|user-1')).toEqual(['s1'])
      await store.delete('s1')
      expect(await store.get('s1')).toBeUndefined()
      expect(await raw.exists(['rt:session:s1', 'rt:session-sid:sid-1', 'rt:session-sub:auth0|user-1'])).toBe(0)
    })

    it('update replaces a session that is there, and writes nothing (false) for one that is gone', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'up:' })
      expect(await store.update('gone', session('gone', { sid: 'sid-gone' }), now() + 60)).toBe(false)
      expect(await raw.exists(['up:session:gone', 'up:session-sid:sid-gone', 'up:session-sub:auth0|user-1'])).toBe(0)
      await store.set('here', session('here'), now() + 60)
      const changed = { ...session('here', { sid: 'sid-here' }), touchedAt: now() + 5 }
      expect(await store.update('here', changed, now() + 120)).toBe(true)
      expect(await store.get('here')).toEqual(changed)
      expect(await raw.sMembers('up:session-sid:sid-here')).toEqual(['here'])
      await store.deleteBy({ sid: 'sid-here' })
      expect(await store.update('here', changed, now() + 120)).toBe(false)
      expect(await store.get('here')).toBeUndefined()
    })

    it('uses "authcode:" by default, and deletes a missing session without error', async () => {
      const store = new RedisSessionStore({ client: raw })
      await store.set('default-prefix', session('default-prefix'), now() + 60)
      expect(await raw.exists('authcode:session:default-prefix')).toBe(1)
      await store.delete('default-prefix')
      await expect(store.delete('default-prefix')).resolves.toBeUndefined()
      expect(await store.get('nobody')).toBeUndefined()
    })

    it('reads a value that is not a session\'s JSON as no session (a key of another Redis type fails as with RedisStorage)', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'bad:' })
      await raw.set('bad:session:garbage', 'not json {')
      await raw.set('bad:session:shape', JSON.stringify({ hello: 'world' }))
      await raw.set('bad:session:token', JSON.stringify({ ...session('token'), tokens: { '': { accessToken: 5 } } }))
      await raw.sAdd('bad:session:a-set', 'x')
      for (const id of ['garbage', 'shape', 'token']) expect(await store.get(id)).toBeUndefined()
      await expect(store.get('a-set')).rejects.toThrow(/WRONGTYPE/)
    })

    it('refuses bad options and arguments with ConfigError naming the field', async () => {
      const field = async (make: () => unknown) => {
        try {
          await make()
        } catch (err) {
          return err instanceof ConfigError ? err.field : 'not a ConfigError'
        }
        return 'no error'
      }
      expect(await field(() => new RedisSessionStore({} as never))).toBe('client')
      expect(await field(() => new RedisSessionStore({ client: raw, prefix: 5 as never }))).toBe('prefix')
      expect(await field(() => new RedisSessionStore({ client: raw, lockTimeoutMs: 0 }))).toBe('lockTimeoutMs')
      expect(await field(() => new RedisSessionStore({ client: raw, lockWaitMs: -1 }))).toBe('lockWaitMs')
      const store = new RedisSessionStore({ client: raw, prefix: 'args:' })
      expect(await field(() => store.set('', session('x'), now() + 60))).toBe('id')
      expect(await field(() => store.set('x', { id: 'x' } as never, now() + 60))).toBe('data')
      expect(await field(() => store.set('x', session('x'), Number.NaN))).toBe('expiresAt')
      expect(await field(() => store.set('x', session('x', { sub: 'user-\ud800' }), now() + 60))).toBe('data.sub')
      expect(await field(() => store.set('x', session('x', { sid: '\udfff' }), now() + 60))).toBe('data.sid')
      expect(await field(() => store.deleteBy({ sid: 5 as never }))).toBe('sid')
    })
  })

  describe('expiry', () => {
    it('expires the session at expiresAt, and its index sets no earlier than their longest-lived session', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'ttl:' })
      const later = now() + 7200
      const sooner = now() + 600
      await store.set('long', session('long', { sid: 'sid-long' }), later)
      await store.set('short', session('short', { sid: 'sid-short' }), sooner)
      expect(await raw.pExpireTime('ttl:session:long')).toBe(later * 1000)
      expect(await raw.pExpireTime('ttl:session:short')).toBe(sooner * 1000)
      expect(await raw.pExpireTime('ttl:session-sid:sid-long')).toBe(later * 1000)
      expect(await raw.pExpireTime('ttl:session-sid:sid-short')).toBe(sooner * 1000)
      // Both are the same user's: the sub index set outlives the longer one, whatever the order.
      expect(await raw.pExpireTime('ttl:session-sub:auth0|user-1')).toBe(later * 1000)
      await store.set('longest', session('longest'), later + 100)
      expect(await raw.pExpireTime('ttl:session-sub:auth0|user-1')).toBe((later + 100) * 1000)
    })

    it('keeps a session no longer than expiresAt, to the millisecond', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'ttl-ms:' })
      await store.set('brief', session('brief'), Date.now() / 1000 + 0.3)
      expect(await store.get('brief')).toBeDefined()
      await new Promise((r) => setTimeout(r, 400))
      expect(await store.get('brief')).toBeUndefined()
    })

    it('does not keep a session whose expiresAt has passed, and removes the one it replaces', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'past:' })
      await store.set('s', session('s', { sid: 'sid-past' }), now() + 60)
      await store.set('s', session('s', { sid: 'sid-past' }), now() - 1)
      expect(await raw.exists(['past:session:s', 'past:session-sid:sid-past', 'past:session-sub:auth0|user-1'])).toBe(0)
    })
  })

  describe('deleteBy', () => {
    // Four sessions: two users, with two provider sessions that overlap.
    async function seeded(prefix: string): Promise<RedisSessionStore> {
      const store = new RedisSessionStore({ client: raw, prefix })
      await store.set('a1', session('a1', { sub: 'alice', sid: 'sid-1' }), now() + 3600)
      await store.set('a2', session('a2', { sub: 'alice', sid: 'sid-2' }), now() + 3600)
      await store.set('b1', session('b1', { sub: 'bob', sid: 'sid-1' }), now() + 3600)
      await store.set('b3', session('b3', { sub: 'bob' }), now() + 3600)
      return store
    }
    const live = async (store: RedisSessionStore) => {
      const ids = ['a1', 'a2', 'b1', 'b3']
      const found = await Promise.all(ids.map((id) => store.get(id)))
      return ids.filter((_, i) => found[i] !== undefined)
    }

    it('by sid: every session of that provider session, and no other', async () => {
      const store = await seeded('by-sid:')
      expect(await store.deleteBy({ sid: 'sid-1' })).toBe(2)
      expect(await live(store)).toEqual(['a2', 'b3'])
      expect(await raw.exists('by-sid:session-sid:sid-1')).toBe(0)
      expect(await raw.sMembers('by-sid:session-sub:alice')).toEqual(['a2'])
    })

    it('by sub: every session of that user, and no other', async () => {
      const store = await seeded('by-sub:')
      expect(await store.deleteBy({ sub: 'bob' })).toBe(2)
      expect(await live(store)).toEqual(['a1', 'a2'])
      expect(await raw.sMembers('by-sub:session-sid:sid-1')).toEqual(['a1'])
    })

    it('by sid and sub: only the sessions that match both', async () => {
      const store = await seeded('by-both:')
      expect(await store.deleteBy({ sid: 'sid-1', sub: 'bob' })).toBe(1)
      expect(await live(store)).toEqual(['a1', 'a2', 'b3'])
      expect(await store.deleteBy({ sid: 'sid-2', sub: 'bob' })).toBe(0)
      expect(await live(store)).toEqual(['a1', 'a2', 'b3'])
    })

    it('answers 0 for an unknown sid or sub, and for an empty match', async () => {
      const store = await seeded('unknown:')
      expect(await store.deleteBy({ sid: 'no-such-sid' })).toBe(0)
      expect(await store.deleteBy({ sub: 'nobody' })).toBe(0)
      expect(await store.deleteBy({})).toBe(0)
      expect(await store.deleteBy({ sid: undefined, sub: undefined })).toBe(0)
      expect(await live(store)).toEqual(['a1', 'a2', 'b1', 'b3'])
    })

    it('counts only live sessions, and drops index members whose session expired', async () => {
      const store = await seeded('stale:')
      await raw.del('stale:session:a1') // as if it had expired: its index members stay behind
      expect(await store.deleteBy({ sid: 'sid-1' })).toBe(1)
      expect(await raw.exists('stale:session-sid:sid-1')).toBe(0)
      expect((await raw.sMembers('stale:session-sub:alice')).sort()).toEqual(['a1', 'a2'])
      expect(await store.deleteBy({ sub: 'alice' })).toBe(1)
      expect(await raw.exists('stale:session-sub:alice')).toBe(0)
    })

    it('after a re-set with another sid and sub, finds the session under the new ones only', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'reset:' })
      await store.set('s', session('s', { sub: 'old-user', sid: 'old-sid' }), now() + 3600)
      await store.set('s', session('s', { sub: 'new-user', sid: 'new-sid' }), now() + 3600)
      expect(await raw.exists(['reset:session-sid:old-sid', 'reset:session-sub:old-user'])).toBe(0)
      expect(await store.deleteBy({ sid: 'old-sid' })).toBe(0)
      expect(await store.deleteBy({ sub: 'old-user' })).toBe(0)
      expect(await store.get('s')).toMatchObject({ sub: 'new-user', sid: 'new-sid' })
      // Dropping the sid altogether takes it out of the sid index too.
      await store.set('s', session('s', { sub: 'new-user' }), now() + 3600)
      expect(await store.deleteBy({ sid: 'new-sid' })).toBe(0)
      expect(await store.deleteBy({ sid: 'new-sid', sub: 'new-user' })).toBe(0)
      expect(await store.deleteBy({ sub: 'new-user' })).toBe(1)
      expect(await store.get('s')).toBeUndefined()
    })

    it('finds a session whatever its claims hold, even JSON that Redis\'s own decoder refuses', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'claims:' })
      let deep: unknown = 'bottom'
      for (let i = 0; i < 2_000; i++) deep = [deep]
      const odd = session('odd', { sub: 'mallory', sid: 'sid-odd' })
      odd.user = { ...odd.user, name: 'lone \ud800 surrogate', nickname: 'a "quoted\\" \\u0022 name', deep }
      await store.set('odd', odd, now() + 3600)
      expect(await store.get('odd')).toEqual(odd)
      await store.set('odd', { ...odd, sid: 'sid-odd-2' }, now() + 3600) // the old sid is read back to un-index it
      expect(await raw.exists('claims:session-sid:sid-odd')).toBe(0)
      expect(await store.deleteBy({ sid: 'sid-odd-2', sub: 'mallory' })).toBe(1)
      expect(await store.get('odd')).toBeUndefined()
    })

    it('finds a session by a sid or sub with quotes, backslashes and non-ASCII text', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'text:' })
      const sub = 'oidc|"ünïcödé" \\ 😀'
      const sid = 'sid "\\"\n'
      await store.set('t', session('t', { sub, sid }), now() + 3600)
      await store.set('t', session('t', { sub, sid: 'plain' }), now() + 3600)
      expect(await store.deleteBy({ sid })).toBe(0)
      expect(await store.deleteBy({ sid: 'plain', sub })).toBe(1)
    })

    it('drops expired members from an index set when it writes to it, so a set does not grow for ever', async () => {
      const store = new RedisSessionStore({ client: raw, prefix: 'prune:' })
      for (let i = 0; i < 5; i++) await store.set(`old-${i}`, session(`old-${i}`), now() + 3600)
      for (let i = 0; i < 5; i++) await raw.del(`prune:session:old-${i}`) // all five expired
      await store.set('new', session('new'), now() + 3600)
      expect(await raw.sMembers('prune:session-sub:auth0|user-1')).toEqual(['new'])
    })
  })

  it('keeps stores with different prefixes apart', async () => {
    const one = new RedisSessionStore({ client: raw, prefix: 'one:' })
    const two = new RedisSessionStore({ client: raw, prefix: 'two:' })
    await one.set('same-id', session('same-id', { sid: 'same-sid' }), now() + 3600)
    expect(await two.get('same-id')).toBeUndefined()
    expect(await two.deleteBy({ sid: 'same-sid' })).toBe(0)
    expect(await two.deleteBy({ sub: 'auth0|user-1' })).toBe(0)
    await two.delete('same-id')
    expect(await one.get('same-id')).toBeDefined()
    await two.set('same-id', session('same-id', { sid: 'same-sid' }), now() + 3600)
    expect(await two.deleteBy({ sid: 'same-sid' })).toBe(1)
    expect(await one.get('same-id')).toBeDefined()
  })

  describe('withLock', () => {
    it('runs two holders of one session one after the other, from two stores on two clients', async () => {
      const a = new RedisSessionStore({ client: await connect(), prefix: 'lock:' })
      const b = new RedisSessionStore({ client: await connect(), prefix: 'lock:' })
      const log: string[] = []
      const work = (name: string) => async () => {
        log.push(`${name} start`)
        expect(await raw.get('lock:session-lock:s')).toMatch(/^[0-9a-f]{32}$/)
        // Yield many times: with a broken lock the other holder would start in here.
        for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2))
        log.push(`${name} end`)
        return name
      }
      const results = await Promise.all([a.withLock('s', work('a')), b.withLock('s', work('b')), a.withLock('s', work('c'))])
      expect(results).toEqual(['a', 'b', 'c'])
      for (let i = 0; i < 6; i += 2) expect(log[i + 1]).toBe(log[i]!.replace('start', 'end'))
      expect(await raw.exists('lock:session-lock:s')).toBe(0)
    })

    it('throws LockTimeoutError after lockWaitMs while another store holds the lock, without running fn', async () => {
      const holder = new RedisSessionStore({ client: await connect(), prefix: 'lock-wait:' })
      const waiter = new RedisSessionStore({ client: await connect(), prefix: 'lock-wait:', lockWaitMs: 200 })
      let ran = false
      const error = await holder.withLock('s', () => waiter.withLock('s', async () => (ran = true)).catch((err: unknown) => err))
      expect(error).toBeInstanceOf(LockTimeoutError)
      expect(ran).toBe(false)
      await expect(waiter.withLock('s', async () => 'free again')).resolves.toBe('free again')
    })
  })

  it('writes no key outside its prefix', async () => {
    // Database 1 holds only what this test writes.
    const client = await connect(1)
    const store = new RedisSessionStore({ client, prefix: 'only:' })
    const seen = new Set<string>()
    const scan = async () => {
      for await (const keys of client.scanIterator({ MATCH: '*' })) for (const key of keys) seen.add(key)
    }
    await store.set('s1', session('s1', { sid: 'sid-1' }), now() + 3600)
    await store.set('s1', session('s1', { sid: 'sid-2', sub: 'other' }), now() + 3600)
    await store.set('s2', session('s2', { sid: 'sid-2' }), now() + 3600)
    await store.set('s3', session('s3'), now() + 3600)
    await store.withLock('s1', scan)
    await store.get('s1')
    await store.deleteBy({ sid: 'sid-2', sub: 'other' })
    await store.delete('s3')
    await scan()
    expect(seen).toContain('only:session-lock:s1')
    expect(seen).toContain('only:session-sid:sid-2')
    expect(seen.size).toBeGreaterThanOrEqual(5)
    expect([...seen].filter((key) => !key.startsWith('only:'))).toEqual([])
  })
})
