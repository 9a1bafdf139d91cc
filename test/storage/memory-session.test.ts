// MemorySessionStore: copies in and out, expiry by the clock, and deleteBy's matching and count.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemorySessionStore, type SessionData } from '../../src/storage/session-store.js'

const START = Date.UTC(2026, 0, 1) // epoch ms
const now = () => Math.floor(Date.now() / 1000)

function session(id: string, p: { sub?: string; sid?: string } = {}): SessionData {
  const sub = p.sub ?? 'auth0|user-1'
  return {
    id,
    sub,
    ...(p.sid === undefined ? {} : { sid: p.sid }),
    user: { sub, name: 'Ada' },
    refreshToken: 'rt-1',
    tokens: { '': { accessToken: 'at-1', tokenType: 'Bearer', expiresAt: now() + 3600 } },
    createdAt: now(),
    touchedAt: now(),
  }
}

describe('MemorySessionStore', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(START)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('copies sessions in and out, so callers cannot change what is stored', async () => {
    const store = new MemorySessionStore()
    const data = session('s1', { sid: 'sid-1' })
    await store.set('s1', data, now() + 3600)
    data.user.name = 'changed after set'
    data.tokens['']!.accessToken = 'changed after set'
    const read = await store.get('s1')
    expect(read).toEqual(session('s1', { sid: 'sid-1' }))
    read!.user.name = 'changed after get'
    read!.tokens['']!.accessToken = 'changed after get'
    expect(await store.get('s1')).toEqual(session('s1', { sid: 'sid-1' }))
  })

  it('replaces a session on set, deletes it, and deletes a missing one without error', async () => {
    const store = new MemorySessionStore()
    await store.set('s1', session('s1', { sid: 'old' }), now() + 60)
    await store.set('s1', session('s1', { sid: 'new' }), now() + 60)
    expect(await store.get('s1')).toMatchObject({ sid: 'new' })
    expect(await store.deleteBy({ sid: 'old' })).toBe(0)
    await store.delete('s1')
    expect(await store.get('s1')).toBeUndefined()
    await expect(store.delete('s1')).resolves.toBeUndefined()
    expect(await store.get('nobody')).toBeUndefined()
  })

  it('update replaces a session that is there, and writes nothing (false) for one that is gone', async () => {
    const store = new MemorySessionStore()
    expect(await store.update('gone', session('gone'), now() + 60)).toBe(false)
    expect(store.size).toBe(0)
    await store.set('here', session('here'), now() + 60)
    expect(await store.update('here', { ...session('here'), touchedAt: now() + 5 }, now() + 60)).toBe(true)
    expect((await store.get('here'))?.touchedAt).toBe(now() + 5)
  })

  it('reads a session until its expiresAt and not from then on', async () => {
    const store = new MemorySessionStore()
    await store.set('s1', session('s1'), now() + 60)
    vi.setSystemTime(START + 59_999)
    expect(await store.get('s1')).toBeDefined()
    vi.setSystemTime(START + 60_000)
    expect(await store.get('s1')).toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('sweeps expired sessions out on a write, at most once a minute', async () => {
    const store = new MemorySessionStore()
    await store.set('a', session('a'), now() + 10)
    await store.set('b', session('b'), now() + 10)
    vi.setSystemTime(START + 30_000)
    await store.set('c', session('c'), now() + 3600) // within the minute: no sweep yet
    expect(store.size).toBe(3)
    vi.setSystemTime(START + 61_000)
    await store.set('d', session('d'), now() + 3600)
    expect(store.size).toBe(2)
  })

  describe('deleteBy', () => {
    // Four sessions: two users, with two provider sessions that overlap.
    async function seeded(): Promise<MemorySessionStore> {
      const store = new MemorySessionStore()
      await store.set('a1', session('a1', { sub: 'alice', sid: 'sid-1' }), now() + 3600)
      await store.set('a2', session('a2', { sub: 'alice', sid: 'sid-2' }), now() + 3600)
      await store.set('b1', session('b1', { sub: 'bob', sid: 'sid-1' }), now() + 3600)
      await store.set('b3', session('b3', { sub: 'bob' }), now() + 3600)
      return store
    }
    const live = async (store: MemorySessionStore) => {
      const ids = ['a1', 'a2', 'b1', 'b3']
      const found = await Promise.all(ids.map((id) => store.get(id)))
      return ids.filter((_, i) => found[i] !== undefined)
    }

    it('by sid: every session of that provider session, and no other', async () => {
      const store = await seeded()
      expect(await store.deleteBy({ sid: 'sid-1' })).toBe(2)
      expect(await live(store)).toEqual(['a2', 'b3'])
    })

    it('by sub: every session of that user, and no other', async () => {
      const store = await seeded()
      expect(await store.deleteBy({ sub: 'bob' })).toBe(2)
      expect(await live(store)).toEqual(['a1', 'a2'])
    })

    it('by sid and sub: only the sessions that match both', async () => {
      const store = await seeded()
      expect(await store.deleteBy({ sid: 'sid-1', sub: 'bob' })).toBe(1)
      expect(await live(store)).toEqual(['a1', 'a2', 'b3'])
      expect(await store.deleteBy({ sid: 'sid-2', sub: 'bob' })).toBe(0)
    })

    it('answers 0 for an unknown sid or sub, and for an empty match, deleting nothing', async () => {
      const store = await seeded()
      expect(await store.deleteBy({ sid: 'no-such-sid' })).toBe(0)
      expect(await store.deleteBy({ sub: 'nobody' })).toBe(0)
      expect(await store.deleteBy({})).toBe(0)
      expect(await store.deleteBy({ sid: undefined, sub: undefined })).toBe(0)
      expect(await live(store)).toEqual(['a1', 'a2', 'b1', 'b3'])
    })

    it('counts only sessions that have not expired, and drops the expired ones it matches', async () => {
      const store = new MemorySessionStore()
      await store.set('gone', session('gone', { sid: 'sid-1' }), now() + 10)
      await store.set('live', session('live', { sid: 'sid-1' }), now() + 3600)
      vi.setSystemTime(START + 20_000)
      expect(await store.deleteBy({ sid: 'sid-1' })).toBe(1)
      expect(store.size).toBe(0)
    })
  })
})
