// authcode/server on many instances sharing a real Redis (RedisSessionStore): one refresh per session, back-channel logout everywhere.
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { RedisSessionStore } from '../../src/storage/redis.js'
import { APP, appOf, logIn, makeAuth, useServerTenant } from '../helpers/server-app.js'
import { type RedisServer, requireRedisServer, startRedisServer } from '../helpers/redis.js'

const available = requireRedisServer('test/server/redis-store.test.ts')
const { auth0, server: msw, tenant } = await useServerTenant({ accessTokenTtl: 3600 })
afterEach(() => vi.useRealTimers())

describe.skipIf(!available)('authcode/server with RedisSessionStore', () => {
  let redis: RedisServer
  const clients: ReturnType<typeof createClient>[] = []
  const store = async () => {
    const client = await createClient({ url: redis.url }).connect()
    clients.push(client)
    return new RedisSessionStore({ client, prefix: 'app:' })
  }

  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    for (const c of clients) await c.quit()
    await redis?.stop()
  })

  it('three instances with their own clients refresh a session once, and all get the same token', async () => {
    const instances = await Promise.all([0, 1, 2].map(async () => makeAuth({ session: { store: await store() } })))
    const { browser } = await logIn(appOf(instances[0]!), (url) => auth0.authorize(url))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + (3600 - 30) * 1000)
    let refreshes = 0
    const count = async ({ request }: { request: Request }) => {
      if (new URL(request.url).pathname === '/oauth/token' && (await request.clone().text()).includes('grant_type=refresh_token')) refreshes++
    }
    msw.events.on('request:start', count)
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => instances[i % 3]!.getAccessToken(browser.request(`${APP}/x`))))
    msw.events.removeListener('request:start', count)
    expect(refreshes).toBe(1)
    expect(new Set(tokens).size).toBe(1)
  })

  it('a back-channel logout on one instance ends the session on every other before it answers', async () => {
    const one = makeAuth({ session: { store: await store() } })
    const two = makeAuth({ session: { store: await store() } })
    const { browser } = await logIn(appOf(one), (url) => auth0.authorize(url, { idTokenClaims: { sid: 'sid-redis' } }))
    expect((await appOf(two)(browser.request(`${APP}/me`))).status).toBe(200)
    const res = await appOf(one)(new Request(`${APP}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await tenant.signLogoutToken({ sid: 'sid-redis' }) }),
    }))
    expect(res.status).toBe(200)
    expect((await appOf(two)(browser.request(`${APP}/me`))).status).toBe(401)
  })
})
