// authcode/server's access tokens: refreshed once per session however many requests ask, kept per audience, written back by wrap.
import { http, HttpResponse } from 'msw'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemorySessionStore } from 'authcode/server'
import { ConfigError, LoginRequiredError } from 'authcode'
import { API, APP, logIn, makeAuth, useServerTenant } from '../helpers/server-app.js'

const { auth0, server } = await useServerTenant({ accessTokenTtl: 3600 })
afterEach(() => vi.useRealTimers())

/** Counts the refresh grants the tenant answers. */
function countRefreshes() {
  const seen: string[] = []
  const listener = async ({ request }: { request: Request }) => {
    if (new URL(request.url).pathname !== '/oauth/token') return
    const body = new URLSearchParams(await request.clone().text())
    if (body.get('grant_type') === 'refresh_token') seen.push(body.get('audience') ?? '')
  }
  server.events.on('request:start', listener)
  return { seen, stop: () => server.events.removeListener('request:start', listener) }
}

/** An API that echoes the bearer token it got. */
function useApi(status = 200) {
  server.use(http.get(`${API}/contacts`, ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') }, { status })))
}

async function loggedIn(extra: Parameters<typeof makeAuth>[0] = {}) {
  const auth = makeAuth(extra)
  const app = auth.wrap(async (request) => {
    const res = await auth.fetch(request, `${API}/contacts`)
    return Response.json(await res.json())
  })
  const { browser } = await logIn(app, (url) => auth0.authorize(url))
  return { auth, app, browser }
}

const later = (seconds: number) => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(Date.now() + seconds * 1000)
}

describe('auth.fetch and getAccessToken', () => {
  it('sends the session access token as Bearer, without a refresh while it is fresh', async () => {
    useApi()
    const { app, browser } = await loggedIn()
    const counter = countRefreshes()
    const body = await (await app(browser.request(`${APP}/contacts`))).json()
    counter.stop()
    expect(body.auth).toMatch(/^Bearer ey/)
    expect(counter.seen).toEqual([])
  })

  it('refreshes once for 20 concurrent requests of one session after expiry, and wrap writes the new tokens', async () => {
    useApi()
    const { app, browser } = await loggedIn()
    later(3600 - 30)
    const counter = countRefreshes()
    const responses = await Promise.all(Array.from({ length: 20 }, () => app(browser.request(`${APP}/contacts`))))
    counter.stop()
    expect(counter.seen).toHaveLength(1)
    const tokens = new Set(await Promise.all(responses.map(async (r) => (await r.clone().json()).auth)))
    expect(tokens.size).toBe(1)
    for (const r of responses) expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-authcode.session') && !c.includes('Max-Age=0'))).toBe(true)
  })

  it('a request that still carries the cookie from before the refresh uses its result (no second spend of the rotated token)', async () => {
    useApi()
    const { app, browser } = await loggedIn()
    const stale = browser.header
    later(3600 - 30)
    const counter = countRefreshes()
    browser.take(await app(browser.request(`${APP}/contacts`)))
    const again = await app(new Request(`${APP}/contacts`, { headers: { cookie: stale } }))
    counter.stop()
    expect(again.status).toBe(200)
    expect(counter.seen).toHaveLength(1)
  })

  it('keeps a token per audience, all refreshed through the one refresh token in turn', async () => {
    const { auth, browser } = await loggedIn()
    const request = browser.request(`${APP}/x`)
    const counter = countRefreshes()
    const [a, b, own] = await Promise.all([
      auth.getAccessToken(request, { audience: 'https://billing.example.com' }),
      auth.getAccessToken(request, { audience: 'https://billing.example.com' }),
      auth.getAccessToken(request),
    ])
    counter.stop()
    expect(a).toBe(b)
    expect(a).not.toBe(own)
    expect(counter.seen).toEqual(['https://billing.example.com'])
  })

  it('retries once with a refreshed token after the API answers 401', async () => {
    useApi(401)
    const { auth, browser } = await loggedIn()
    const counter = countRefreshes()
    const res = await auth.fetch(browser.request(`${APP}/x`), `${API}/contacts`)
    counter.stop()
    expect(res.status).toBe(401)
    expect(counter.seen).toHaveLength(1)
  })

  it('a dead refresh token ends the session: LoginRequiredError, and the cookies are cleared', async () => {
    const { auth, browser } = await loggedIn()
    later(3600 - 30)
    const restore = auth0.fail('invalid_grant' as never)
    const request = browser.request(`${APP}/x`)
    await expect(auth.getAccessToken(request)).rejects.toBeInstanceOf(LoginRequiredError)
    restore()
    const res = browser.take(await auth.commit(request, new Response('ok')))
    expect(res.headers.getSetCookie().every((c) => c.includes('Max-Age=0'))).toBe(true)
    expect(await auth.getSession(browser.request(`${APP}/x`))).toBeNull()
  })

  it('wrap turns a LoginRequiredError of the handler into a login: a redirect for a page, 401 for a fetch, the ended cookie cleared', async () => {
    const { app, browser } = await loggedIn()
    later(3600 - 30)
    const restore = auth0.fail('invalid_grant' as never)
    const page = await app(browser.request(`${APP}/contacts?x=1`, { headers: { accept: 'text/html' } }))
    restore()
    expect(page.status).toBe(302)
    const to = new URL(page.headers.get('location') ?? '')
    expect(to.pathname).toBe('/auth/login')
    expect(to.searchParams.get('returnTo')).toBe('/contacts?x=1')
    expect(page.headers.getSetCookie().length).toBeGreaterThan(0)
    expect(page.headers.getSetCookie().every((c) => c.includes('Max-Age=0'))).toBe(true)
    const api = await app(new Request(`${APP}/contacts`))
    expect(api.status).toBe(401)
    expect(await api.json()).toEqual({ error: 'login_required' })
  })

  it('refuses to send the token over plain http', async () => {
    const { auth, browser } = await loggedIn()
    await expect(auth.fetch(browser.request(`${APP}/x`), 'http://api.example.com/contacts')).rejects.toThrow(/https/)
  })

  it('from read-only Headers (a Server Component): a fresh token is handed out, a refresh is refused, saying where to refresh', async () => {
    const { auth, browser } = await loggedIn()
    const headers = new Headers({ cookie: browser.header })
    expect(await auth.getAccessToken(headers)).toMatch(/^ey/)
    later(3600 - 30)
    const counter = countRefreshes()
    const err = await auth.getAccessToken(headers).catch((e: unknown) => e)
    counter.stop()
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toContain('read-only Headers')
    expect(counter.seen).toEqual([])
  })

  it('from read-only Headers with a session store: refreshes, and the store keeps the result', async () => {
    const store = new MemorySessionStore()
    const { auth, browser } = await loggedIn({ session: { store } })
    later(3600 - 30)
    const token = await auth.getAccessToken(new Headers({ cookie: browser.header }))
    expect(await makeAuth({ session: { store } }).getAccessToken(browser.request(`${APP}/x`))).toBe(token)
  })

  it('without a session: LoginRequiredError', async () => {
    await expect(makeAuth().getAccessToken(new Request(`${APP}/x`))).rejects.toBeInstanceOf(LoginRequiredError)
  })
})

/** A MemorySessionStore with a lock, as two instances sharing Redis would have. */
class LockingStore extends MemorySessionStore {
  #tail = Promise.resolve()
  async withLock<T>(_id: string, fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn)
    this.#tail = run.then(() => undefined, () => undefined)
    return run
  }
}

describe('many instances sharing a store with a lock', () => {
  it('two instances refresh one session once, and both get the same token', async () => {
    const store = new LockingStore()
    const { browser } = await loggedIn({ session: { store } })
    const one = makeAuth({ session: { store } })
    const two = makeAuth({ session: { store } })
    later(3600 - 30)
    const counter = countRefreshes()
    const tokens = await Promise.all([one, two, one, two].map((auth) => auth.getAccessToken(browser.request(`${APP}/x`))))
    counter.stop()
    expect(counter.seen).toHaveLength(1)
    expect(new Set(tokens).size).toBe(1)
  })

  it('a session deleted from the store (logged out elsewhere) asks for a login', async () => {
    const store = new MemorySessionStore()
    const { auth, browser } = await loggedIn({ session: { store } })
    await store.deleteBy({ sub: 'auth0|test-user' })
    expect(await auth.getSession(browser.request(`${APP}/x`))).toBeNull()
  })
})
