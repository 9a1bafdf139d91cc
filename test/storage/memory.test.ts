// MemoryStorage: the default token storage keeps copies.
import { describe, expect, it } from 'vitest'
import { MemoryStorage, type TokenSet } from 'authcode'

describe('MemoryStorage', () => {
  it('copies values in and out, so callers cannot mutate what is stored', async () => {
    const storage = new MemoryStorage()
    const tokens: TokenSet = { accessToken: 'a', tokenType: 'Bearer', claims: { iss: 'i', sub: 's', aud: 'x', exp: 1, iat: 1 } }
    await storage.set('k', tokens)
    tokens.accessToken = 'changed after set'
    tokens.claims!.sub = 'changed'
    const read = await storage.get('k')
    expect(read?.accessToken).toBe('a')
    expect(read?.claims?.sub).toBe('s')
    read!.accessToken = 'changed after get'
    expect((await storage.get('k'))?.accessToken).toBe('a')
    await storage.delete('k')
    expect(await storage.get('k')).toBeUndefined()
  })
})
