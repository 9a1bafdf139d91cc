// authcode/server's routes and their bad inputs: login parameters, callbacks that fail and say why, logout, open redirects.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { makeAuth, appOf, logIn, useServerTenant, APP, DOMAIN, SECRET } from '../helpers/server-app.js'
import { Browser } from '../helpers/browser.js'
import { createAuth } from 'authcode/server'

const { auth0, server } = await useServerTenant()
afterEach(() => vi.useRealTimers())

async function startLogin(app: (r: Request) => Promise<Response>, browser: Browser, query = '') {
  const res = browser.take(await app(browser.request(`${APP}/auth/login${query}`)))
  return new URL(res.headers.get('location') ?? '')
}

describe('GET /auth/login', () => {
  it('passes organization, invitation, screen_hint, login_hint, prompt, ui_locales and connection to /authorize', async () => {
    const to = await startLogin(appOf(makeAuth()), new Browser(), '?organization=org_abc&invitation=inv_1&screen_hint=signup&login_hint=a%40b.c&prompt=login&ui_locales=fr&connection=github')
    expect(Object.fromEntries(['organization', 'invitation', 'screen_hint', 'login_hint', 'prompt', 'ui_locales', 'connection'].map((k) => [k, to.searchParams.get(k)]))).toEqual({
      organization: 'org_abc', invitation: 'inv_1', screen_hint: 'signup', login_hint: 'a@b.c', prompt: 'login', ui_locales: 'fr', connection: 'github',
    })
  })

  it('does not let a login link change scope, audience or redirect_uri', async () => {
    const to = await startLogin(appOf(makeAuth()), new Browser(), '?scope=openid&audience=https://evil.example&redirect_uri=https://evil.example/cb')
    expect(to.searchParams.get('scope')).toBe('openid profile email offline_access')
    expect(to.searchParams.get('audience')).toBe('https://api.example.com')
    expect(to.searchParams.get('redirect_uri')).toBe(`${APP}/auth/callback`)
  })

  it('sets one HttpOnly, Secure, SameSite=Lax __Host- transaction cookie per login, for 10 minutes', async () => {
    const browser = new Browser()
    const res = await appOf(makeAuth())(browser.request(`${APP}/auth/login`))
    const [cookie] = res.headers.getSetCookie()
    expect(cookie).toMatch(/^__Host-authcode\.tx\.[A-Za-z0-9_-]{16}=/)
    expect(cookie).toContain('; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('two tabs logging in at once both succeed, each with its own transaction', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const first = await startLogin(app, browser, '?returnTo=/one')
    const second = await startLogin(app, browser, '?returnTo=/two')
    const done2 = browser.take(await app(browser.request(await auth0.authorize(second))))
    const done1 = browser.take(await app(browser.request(await auth0.authorize(first))))
    expect(done2.headers.get('location')).toBe(`${APP}/two`)
    expect(done1.headers.get('location')).toBe(`${APP}/one`)
  })

  it('keeps at most 3 transaction cookies: a fourth login drops the oldest', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    for (let i = 0; i < 6; i++) await startLogin(app, browser)
    expect(browser.names().filter((n) => n.includes('authcode.tx.'))).toHaveLength(3)
  })

  it.each([
    ['//evil.example/x'], ['/\\evil.example'], ['https://evil.example/'], ['javascript:alert(1)'], ['/%0a/evil.example'],
    ['/\t/evil.example'], ['evil'], [`${APP}/same-origin-but-absolute`],
  ])('refuses returnTo %j and sends the user to / instead', async (returnTo) => {
    const app = appOf(makeAuth())
    const { done } = await logIn(app, (url) => auth0.authorize(url), new Browser(), { loginPath: `/auth/login?returnTo=${encodeURIComponent(returnTo)}` })
    const location = new URL(done.headers.get('location') ?? '')
    expect(location.origin).toBe(APP)
    expect(location.pathname === '/' || !location.pathname.startsWith('//')).toBe(true)
    if (returnTo !== '/%0a/evil.example') expect(location.href).toBe(`${APP}/`)
  })

  it('keeps a same-origin path with its query and fragment', async () => {
    const { done } = await logIn(appOf(makeAuth()), (url) => auth0.authorize(url), new Browser(), { loginPath: `/auth/login?returnTo=${encodeURIComponent('/me?tab=2#top')}` })
    expect(done.headers.get('location')).toBe(`${APP}/me?tab=2#top`)
  })
})

describe('GET /auth/callback that fails, says why', () => {
  const reasonOf = async (res: Response) => /<code>([a-z_]+)<\/code>/.exec(await res.text())?.[1]

  it('without the transaction cookie: 400 missing_transaction, a sentence on the likely cause', async () => {
    const app = appOf(makeAuth())
    const to = await startLogin(app, new Browser())
    const callback = await auth0.authorize(to)
    const res = await app(new Request(callback))
    expect(res.status).toBe(400)
    const text = await res.clone().text()
    expect(await reasonOf(res)).toBe('missing_transaction')
    expect(text).toContain('SameSite')
    expect(text).not.toContain(callback.searchParams.get('code'))
  })

  it('used twice: the second is replayed_transaction', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const to = await startLogin(app, browser)
    const callback = await auth0.authorize(to)
    const cookie = browser.header
    expect((await app(new Request(callback, { headers: { cookie } }))).status).toBe(302)
    const again = await app(new Request(callback, { headers: { cookie } }))
    expect(await reasonOf(again)).toBe('replayed_transaction')
  })

  it('after more than 10 minutes: expired_transaction', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const to = await startLogin(app, browser)
    const callback = await auth0.authorize(to)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 601_000)
    expect(await reasonOf(await app(browser.request(callback)))).toBe('expired_transaction')
  })

  it('with a tampered transaction cookie: invalid_transaction, and the cookie is cleared', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const to = await startLogin(app, browser)
    const [name, kept] = [...browser.cookies][0] as [string, { value: string }]
    kept.value = `${kept.value.slice(0, -2)}${kept.value.endsWith('AA') ? 'BB' : 'AA'}`
    const res = browser.take(await app(browser.request(await auth0.authorize(to))))
    expect(await reasonOf(res)).toBe('invalid_transaction')
    expect(browser.names()).not.toContain(name)
  })

  it('with a transaction sealed under another secret: invalid_transaction', async () => {
    const other = appOf(makeAuth({ secret: 'another-secret-of-at-least-32-characters!' }))
    const browser = new Browser()
    const to = await startLogin(other, browser)
    const res = await appOf(makeAuth())(browser.request(await auth0.authorize(to)))
    expect(await reasonOf(res)).toBe('invalid_transaction')
  })

  it('an error from the provider: provider_error with its code, not its description', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const to = await startLogin(app, browser)
    const res = await app(browser.request(await auth0.authorize(to, { error: 'access_denied', errorDescription: '<script>call 555-0100</script>' })))
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text).toContain('<code>provider_error</code> <code>access_denied</code>')
    expect(text).not.toContain('555-0100')
  })

  it('a state that belongs to another login: missing_transaction (no cookie of that state)', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const to = await startLogin(app, browser)
    const callback = await auth0.authorize(to)
    callback.searchParams.set('state', 'x'.repeat(43))
    expect(await reasonOf(await app(browser.request(callback)))).toBe('missing_transaction')
  })

  it('a callback with no state at all: invalid_callback', async () => {
    expect(await reasonOf(await appOf(makeAuth())(new Request(`${APP}/auth/callback?code=abc`)))).toBe('invalid_callback')
  })

  it('a code the provider refuses: exchange_failed with invalid_grant', async () => {
    const app = appOf(makeAuth())
    const browser = new Browser()
    const to = await startLogin(app, browser)
    const callback = await auth0.authorize(to)
    callback.searchParams.set('code', 'not-a-code')
    const res = await app(browser.request(callback))
    expect(await res.clone().text()).toContain('<code>exchange_failed</code> <code>invalid_grant</code>')
  })

  it('hands the failure to hooks.onCallbackError to render', async () => {
    const auth = makeAuth({ hooks: { onCallbackError: (f) => new Response(`custom ${f.reason}`, { status: 418 }) } })
    const res = await appOf(auth)(new Request(`${APP}/auth/callback?code=a&state=b`))
    expect(res.status).toBe(418)
    expect(await res.text()).toBe('custom missing_transaction')
  })

  it('answers 405 to a PUT', async () => {
    expect((await appOf(makeAuth())(new Request(`${APP}/auth/callback`, { method: 'PUT' }))).status).toBe(405)
  })
})

describe('GET /auth/logout', () => {
  it('ends the session and redirects through the provider logout back to returnTo', async () => {
    const app = appOf(makeAuth())
    const { browser } = await logIn(app, (url) => auth0.authorize(url))
    const res = browser.take(await app(browser.request(`${APP}/auth/logout?returnTo=/bye`)))
    const to = new URL(res.headers.get('location') ?? '')
    expect(to.origin).toBe(`https://${DOMAIN}`)
    expect(to.searchParams.get('post_logout_redirect_uri') ?? to.searchParams.get('returnTo')).toBe(`${APP}/bye`)
    expect(browser.names().filter((n) => n.includes('session'))).toEqual([])
    expect((await app(browser.request(`${APP}/me`))).status).toBe(401)
  })

  it('with no session, still goes through the provider logout (its session may outlive ours)', async () => {
    const res = await appOf(makeAuth())(new Request(`${APP}/auth/logout`))
    expect(res.status).toBe(302)
    expect(new URL(res.headers.get('location') ?? '').origin).toBe(`https://${DOMAIN}`)
  })

  it('refuses an open redirect in returnTo', async () => {
    const res = await appOf(makeAuth())(new Request(`${APP}/auth/logout?returnTo=//evil.example`))
    const to = new URL(res.headers.get('location') ?? '')
    expect(to.searchParams.get('post_logout_redirect_uri') ?? to.searchParams.get('returnTo')).toBe(`${APP}/`)
  })

  it('revokes the refresh token when revokeOnLogout is set, and not otherwise', async () => {
    const revoked: string[] = []
    const listener = ({ request }: { request: Request }) => {
      if (new URL(request.url).pathname === '/oauth/revoke') revoked.push(request.url)
    }
    server.events.on('request:start', listener)
    try {
      for (const revokeOnLogout of [false, true]) {
        const app = appOf(makeAuth({ revokeOnLogout }))
        const { browser } = await logIn(app, (url) => auth0.authorize(url))
        await app(browser.request(`${APP}/auth/logout`))
      }
    } finally {
      server.events.removeListener('request:start', listener)
    }
    expect(revoked).toHaveLength(1)
  })
})

describe('cookies and base URLs', () => {
  it('on http://localhost, cookies are not Secure and have no __Host- prefix', async () => {
    const auth = createAuth({ domain: DOMAIN, clientId: 'c', clientSecret: 's', baseUrl: 'http://localhost:3000', secret: SECRET })
    const res = await auth.handle(new Request('http://localhost:3000/auth/login'))
    const [cookie] = res?.headers.getSetCookie() ?? []
    expect(cookie).toMatch(/^authcode\.tx\./)
    expect(cookie).not.toContain('Secure')
  })

  it('refuses plain http on another host', () => {
    expect(() => createAuth({ domain: DOMAIN, clientId: 'c', baseUrl: 'http://app.example.com', secret: SECRET })).toThrow(/baseUrl/)
  })

  it('builds the callback from a baseUrl function checked against allowedBaseUrls, never from Host', async () => {
    const auth = createAuth({
      domain: DOMAIN, clientId: 'c', clientSecret: 's', secret: SECRET,
      baseUrl: (request) => new URL(request.url).origin,
      allowedBaseUrls: ['https://a.example.com', 'https://b.example.com'],
    })
    const ok = await auth.handle(new Request('https://b.example.com/auth/login', { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } }))
    expect(new URL(ok?.headers.get('location') ?? '').searchParams.get('redirect_uri')).toBe('https://b.example.com/auth/callback')
    const refused = await auth.handle(new Request('https://evil.example/auth/login'))
    expect(refused?.status).toBe(400)
    expect(await refused?.text()).toContain('allowedBaseUrls')
    // Not an auth route: the app's, whatever the host (a health check by IP address).
    expect(await auth.handle(new Request('https://10.0.0.7/health'))).toBeUndefined()
  })

  it('answers nothing for other paths, and routes under a base path', async () => {
    const auth = createAuth({ domain: DOMAIN, clientId: 'c', clientSecret: 's', baseUrl: `${APP}/app/`, secret: SECRET })
    expect(await auth.handle(new Request(`${APP}/auth/login`))).toBeUndefined()
    const res = await auth.handle(new Request(`${APP}/app/auth/login`))
    expect(new URL(res?.headers.get('location') ?? '').searchParams.get('redirect_uri')).toBe(`${APP}/app/auth/callback`)
  })

  it('refuses a short secret and a baseUrl function without allowedBaseUrls', () => {
    expect(() => createAuth({ domain: DOMAIN, clientId: 'c', baseUrl: APP, secret: 'short' })).toThrow(/secret/)
    expect(() => createAuth({ domain: DOMAIN, clientId: 'c', baseUrl: () => APP, secret: SECRET })).toThrow(/allowedBaseUrls/)
  })
})
