// authcode/server: a back-channel logout that lands while a request of the same session is in flight.
// The in-flight request must not write the ended session back: its rolling write and its
// refresh go through SessionStore.update, which writes only a session still in the store.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LoginRequiredError } from 'authcode'
import { MemorySessionStore } from 'authcode/server'
import { APP, logIn, makeAuth, useServerTenant } from '../helpers/server-app.js'

const { auth0, tenant } = await useServerTenant()
afterEach(() => vi.useRealTimers())

describe('back-channel logout during a request of the same session', () => {
  it('stays ended: the request that read the session before the logout does not write it back to the store', async () => {
    const store = new MemorySessionStore()
    const auth = makeAuth({ session: { store } })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let arrived!: () => void
    const inFlight = new Promise<void>((resolve) => (arrived = resolve))
    // A page that reads the session, then takes a while (an API call, a slow database).
    const app = auth.wrap(async (request) => {
      const session = await auth.getSession(request)
      if (new URL(request.url).pathname === '/slow') {
        arrived()
        await gate
      }
      return new Response(session === null ? 'anonymous' : 'ok', { status: session === null ? 401 : 200 })
    })
    const { browser } = await logIn(app, (url) => auth0.authorize(url, { idTokenClaims: { sid: 'sid-race' } }))
    expect(store.size).toBe(1)

    // Two minutes later (past the 60 s after which a used session is written again to roll it)...
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 120_000)
    const slow = app(browser.request(`${APP}/slow`))
    await inFlight
    // ...the provider ends the session while that request is in flight.
    const res = await app(new Request(`${APP}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await tenant.signLogoutToken({ sid: 'sid-race' }) }),
    }))
    expect(res.status).toBe(200)
    expect(store.size).toBe(0)
    release()
    expect((await slow).status).toBe(200)

    // The session stays ended: commit's rolling write does not put it back in the store.
    expect(store.size).toBe(0)
    expect((await app(browser.request(`${APP}/`))).status).toBe(401)
  })

  it('stays ended: a refresh that was at the token endpoint during the logout does not write the session back', async () => {
    const store = new MemorySessionStore()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let arrived!: () => void
    const refreshing = new Promise<void>((resolve) => (arrived = resolve))
    // The token endpoint answers a refresh slowly.
    const slowRefresh: typeof fetch = async (input, init) => {
      if (String(init?.body ?? '').includes('grant_type=refresh_token')) {
        arrived()
        await gate
      }
      return fetch(input, init)
    }
    const auth = makeAuth({ session: { store }, fetch: slowRefresh })
    const app = auth.wrap(async (request) => {
      if (new URL(request.url).pathname === '/refresh') {
        // The session ended during the refresh: a login is required, and the cookie goes.
        const refused = await auth.getAccessToken(request, { forceRefresh: true }).then(() => undefined, (err: unknown) => err)
        if (refused !== undefined) return new Response(refused instanceof LoginRequiredError ? 'login required' : 'error', { status: 401 })
      }
      const session = await auth.getSession(request)
      return new Response(session === null ? 'anonymous' : 'ok', { status: session === null ? 401 : 200 })
    })
    const { browser } = await logIn(app, (url) => auth0.authorize(url, { idTokenClaims: { sid: 'sid-refresh-race' } }))
    expect(store.size).toBe(1)

    const refresh = app(browser.request(`${APP}/refresh`))
    await refreshing
    const res = await app(new Request(`${APP}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await tenant.signLogoutToken({ sid: 'sid-refresh-race' }) }),
    }))
    expect(res.status).toBe(200)
    expect(store.size).toBe(0)
    release()
    const refreshed = await refresh
    expect(refreshed.status).toBe(401)
    expect(refreshed.headers.getSetCookie().every((c) => c.includes('Max-Age=0'))).toBe(true)

    // The session stays ended: the refresh's result is not written back.
    expect(store.size).toBe(0)
    expect((await app(browser.request(`${APP}/`))).status).toBe(401)
  })
})
