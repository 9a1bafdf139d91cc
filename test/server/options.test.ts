// authcode/server's options at work: form_post callbacks, typed claims, hooks, wrap over any Response, an unreachable provider.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createAuth, MemorySessionStore } from 'authcode/server'
import { APP, CLIENT_ID, CLIENT_SECRET, DOMAIN, SECRET, appOf, logIn, makeAuth, useServerTenant } from '../helpers/server-app.js'
import { Browser } from '../helpers/browser.js'

const { auth0, tenant } = await useServerTenant()
afterEach(() => vi.useRealTimers())

describe('response_mode=form_post', () => {
  it('asks for form_post, sets the transaction cookie SameSite=None, and takes the POSTed callback with a 303', async () => {
    const app = appOf(makeAuth({ authorizationParams: { responseMode: 'form_post' } }))
    const browser = new Browser()
    const login = browser.take(await app(browser.request(`${APP}/auth/login`)))
    expect(login.headers.getSetCookie()[0]).toContain('SameSite=None')
    const to = new URL(login.headers.get('location') ?? '')
    expect(to.searchParams.get('response_mode')).toBe('form_post')
    const callback = await auth0.authorize(to)
    const form = new URLSearchParams(callback.search)
    const done = browser.take(await app(browser.request(`${APP}/auth/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    })))
    expect(done.status).toBe(303)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(200)
  })
})

describe('response_mode=form_post on http://localhost', () => {
  it('marks the transaction cookie Secure (browsers take it from localhost) so SameSite=None is allowed', async () => {
    const auth = createAuth({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: 'http://localhost:3000', secret: SECRET, authorizationParams: { responseMode: 'form_post' } })
    const res = await auth.handle(new Request('http://localhost:3000/auth/login'))
    const [cookie] = res?.headers.getSetCookie() ?? []
    expect(cookie).toMatch(/^authcode\.tx\./)
    expect(cookie).toContain('; Secure; SameSite=None')
  })
})

describe('cookies(request)', () => {
  it('gives the Set-Cookie values commit would add, for frameworks that set headers their own way', async () => {
    const auth = makeAuth({ session: { rolling: 600 } })
    const { browser } = await logIn(auth.wrap(async () => new Response('ok')), (url) => auth0.authorize(url))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 120_000)
    const request = browser.request(`${APP}/page`)
    const values = await auth.cookies(request)
    expect(values.length).toBeGreaterThan(0)
    expect(values.every((v) => v.startsWith('__Host-authcode.session'))).toBe(true)
    expect(await auth.cookies(new Request(`${APP}/page`))).toEqual([])
  })
})

describe('claims', () => {
  const claims = z.object({ sub: z.string(), 'https://example.com/roles': z.array(z.string()) })

  it('types and checks session.user with a Standard Schema', async () => {
    const auth = createAuth({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: APP, secret: SECRET, claims })
    const app = auth.wrap(async (request) => {
      const session = await auth.getSession(request)
      const roles: string[] = session?.user['https://example.com/roles'] ?? []
      return Response.json(roles)
    })
    const { browser } = await logIn(app, (url) => auth0.authorize(url, { user: { 'https://example.com/roles': ['admin'] } }))
    expect(await (await app(browser.request(`${APP}/me`))).json()).toEqual(['admin'])
  })

  it('a login whose claims fail the schema is invalid_id_token, with no session', async () => {
    const app = appOf(createAuth({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: APP, secret: SECRET, claims }))
    const { browser, done } = await logIn(app, (url) => auth0.authorize(url))
    expect(done.status).toBe(400)
    expect(await done.text()).toContain('<code>invalid_id_token</code>')
    expect(browser.names().filter((n) => n.includes('session'))).toEqual([])
  })
})

describe('hooks', () => {
  it('onLogin sees the new session and can refuse it', async () => {
    const seen: string[] = []
    const app = appOf(makeAuth({ hooks: { onLogin: (session) => { seen.push(session.user.sub) } } }))
    await logIn(app, (url) => auth0.authorize(url))
    expect(seen).toEqual(['auth0|test-user'])
    const refusing = appOf(makeAuth({ hooks: { onLogin: () => { throw new Error('not allowed') } } }))
    await expect(logIn(refusing, (url) => auth0.authorize(url))).rejects.toThrow('not allowed')
  })
})

describe('wrap', () => {
  it('adds the session cookies to an immutable Response.redirect of the handler', async () => {
    const auth = makeAuth({ session: { rolling: 600 } })
    const app = auth.wrap(async () => Response.redirect(`${APP}/elsewhere`, 302))
    const { browser } = await logIn(auth.wrap(async () => new Response('ok')), (url) => auth0.authorize(url))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 120_000)
    const res = await app(browser.request(`${APP}/page`))
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${APP}/elsewhere`)
    expect(res.headers.getSetCookie().some((c) => c.startsWith('__Host-authcode.session'))).toBe(true)
  })

  it('writes nothing when nothing changed (no Set-Cookie on every response)', async () => {
    const auth = makeAuth()
    const { browser } = await logIn(auth.wrap(async () => new Response('ok')), (url) => auth0.authorize(url))
    const res = await auth.wrap(async () => new Response('ok'))(browser.request(`${APP}/page`))
    expect(res.headers.getSetCookie()).toEqual([])
  })
})

describe('a provider that cannot be reached', () => {
  it('answers provider_unreachable (502) on the callback', async () => {
    const app = appOf(makeAuth({ retries: 0 }))
    const browser = new Browser()
    const login = browser.take(await app(browser.request(`${APP}/auth/login`)))
    const callback = await auth0.authorize(new URL(login.headers.get('location') ?? ''))
    const restore = auth0.fail({ status: 503 } as never)
    const res = await app(browser.request(callback))
    restore()
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('<code>provider_unreachable</code>')
  })
})

describe('back-channel logout by sub', () => {
  it('ends every session of the user', async () => {
    const store = new MemorySessionStore()
    const app = appOf(makeAuth({ session: { store } }))
    const first = await logIn(app, (url) => auth0.authorize(url))
    const second = await logIn(app, (url) => auth0.authorize(url))
    expect(store.size).toBe(2)
    const res = await app(new Request(`${APP}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await tenant.signLogoutToken({ sub: 'auth0|test-user' }) }),
    }))
    expect(res.status).toBe(200)
    for (const { browser } of [first, second]) expect((await app(browser.request(`${APP}/me`))).status).toBe(401)
  })
})
