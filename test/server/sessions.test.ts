// authcode/server's sessions: cookies that are tampered or too old, lifetimes, a store, back-channel logout, mintSession.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemorySessionStore } from 'authcode/server'
import { mintSession } from 'authcode/testing'
import { APP, appOf, logIn, makeAuth, useServerTenant } from '../helpers/server-app.js'

const { auth0, tenant } = await useServerTenant()
afterEach(() => vi.useRealTimers())

const sessionNames = (names: string[]) => names.filter((n) => n.startsWith('__Host-authcode.session'))

describe('the session cookie', () => {
  it('is HttpOnly, Secure, SameSite=Lax and __Host-, and each chunk stays under 4,096 bytes', async () => {
    const { done } = await logIn(appOf(makeAuth()), (url) => auth0.authorize(url))
    const cookies = done.headers.getSetCookie().filter((c) => c.startsWith('__Host-authcode.session') && !c.includes('Max-Age=0'))
    expect(cookies.length).toBeGreaterThan(0)
    for (const c of cookies) {
      expect(c).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
      expect(new TextEncoder().encode(c).length).toBeLessThan(4096)
    }
  })

  it('tampered: no session, and the response clears it', async () => {
    const app = appOf(makeAuth())
    const { browser } = await logIn(app, (url) => auth0.authorize(url))
    const name = sessionNames(browser.names())[0] as string
    const kept = browser.cookies.get(name) as { value: string }
    kept.value = kept.value.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    const res = browser.take(await app(browser.request(`${APP}/me`)))
    expect(res.status).toBe(401)
    expect(sessionNames(browser.names())).toEqual([])
  })

  it('sealed with another secret: no session', async () => {
    const { browser } = await logIn(appOf(makeAuth({ secret: 'x'.repeat(40) })), (url) => auth0.authorize(url))
    expect((await appOf(makeAuth())(browser.request(`${APP}/me`))).status).toBe(401)
  })

  it('ends after the rolling lifetime without use, and is extended by use', async () => {
    const app = appOf(makeAuth({ session: { rolling: 600 } }))
    const { browser } = await logIn(app, (url) => auth0.authorize(url))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 500_000)
    const used = browser.take(await app(browser.request(`${APP}/me`)))
    expect(used.status).toBe(200)
    expect(used.headers.getSetCookie().some((c) => c.startsWith('__Host-authcode.session') && !c.includes('Max-Age=0'))).toBe(true)
    vi.setSystemTime(Date.now() + 500_000)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(200)
    vi.setSystemTime(Date.now() + 700_000)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(401)
  })

  it('ends after the absolute lifetime however much it is used', async () => {
    const app = appOf(makeAuth({ session: { rolling: 600, absolute: 1500 } }))
    const { browser } = await logIn(app, (url) => auth0.authorize(url))
    vi.useFakeTimers({ toFake: ['Date'] })
    for (let i = 0; i < 2; i++) {
      vi.setSystemTime(Date.now() + 500_000)
      expect(browser.take(await app(browser.request(`${APP}/me`))).status).toBe(200)
    }
    vi.setSystemTime(Date.now() + 550_000)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(401)
  })

  it('is a new session at every login (no fixation): the old one is not reused', async () => {
    const store = new MemorySessionStore()
    const app = appOf(makeAuth({ session: { store } }))
    const { browser } = await logIn(app, (url) => auth0.authorize(url))
    const first = browser.header
    await logIn(app, (url) => auth0.authorize(url), browser)
    expect(browser.header).not.toBe(first)
    expect(store.size).toBe(1)
    expect((await app(new Request(`${APP}/me`, { headers: { cookie: first } }))).status).toBe(401)
  })
})

describe('with a session store', () => {
  it('keeps the tokens server-side: the cookie holds only a sealed id', async () => {
    const store = new MemorySessionStore()
    const app = appOf(makeAuth({ session: { store } }))
    const { browser } = await logIn(app, (url) => auth0.authorize(url))
    const cookies = sessionNames(browser.names())
    expect(cookies).toHaveLength(1)
    expect((browser.cookies.get(cookies[0] as string)?.value.length ?? 0) < 400).toBe(true)
    expect(store.size).toBe(1)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(200)
  })

  it('back-channel logout by sid ends the session before answering; the next request is anonymous', async () => {
    const store = new MemorySessionStore()
    const auth = makeAuth({ session: { store } })
    const app = appOf(auth)
    const { browser } = await logIn(app, (url) => auth0.authorize(url, { idTokenClaims: { sid: 'sid-123' } }))
    const logoutToken = await tenant.signLogoutToken({ sid: 'sid-123' })
    const res = await app(new Request(`${APP}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }),
    }))
    expect(res.status).toBe(200)
    expect(store.size).toBe(0)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(401)
  })

  it('back-channel logout: a token for an unknown session is 200 and ends nothing; a bad or replayed token is 400', async () => {
    const store = new MemorySessionStore()
    const app = appOf(makeAuth({ session: { store } }))
    await logIn(app, (url) => auth0.authorize(url, { idTokenClaims: { sid: 'sid-keep' } }))
    const post = (token: string) =>
      app(new Request(`${APP}/auth/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) }))
    const unknown = await tenant.signLogoutToken({ sid: 'sid-unknown' })
    expect((await post(unknown)).status).toBe(200)
    expect(store.size).toBe(1)
    expect((await post(unknown)).status).toBe(400)
    expect((await post(await tenant.signIdToken({ sid: 'sid-keep' }))).status).toBe(400)
    expect((await post('not-a-jwt')).status).toBe(400)
    expect(store.size).toBe(1)
  })

  it('without a store, back-channel logout answers 501 and says why', async () => {
    const res = await appOf(makeAuth())(new Request(`${APP}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: 'x' }) }))
    expect(res.status).toBe(501)
    expect(await res.text()).toContain('session.store')
  })
})

describe('mintSession (authcode/testing)', () => {
  it('gives a cookie the app takes as the user, without a login', async () => {
    for (const session of [{}, { store: new MemorySessionStore() }]) {
      const auth = makeAuth({ session })
      const { cookie } = await mintSession(auth, { user: { sub: 'auth0|jane', name: 'Jane' } })
      const res = await appOf(auth)(new Request(`${APP}/me`, { headers: { cookie } }))
      expect(res.status).toBe(200)
      expect((await res.json()).user).toMatchObject({ sub: 'auth0|jane', name: 'Jane' })
    }
  })

  it('refuses something that is not an auth', async () => {
    await expect(mintSession({})).rejects.toThrow(/createAuth/)
  })
})
