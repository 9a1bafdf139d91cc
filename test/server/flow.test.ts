// authcode/server end to end against the stand-in tenant: login, session, API calls with refresh, logout.
import { describe, expect, it } from 'vitest'
import { APP, API, appOf, logIn, makeAuth, useServerTenant } from '../helpers/server-app.js'

const { auth0 } = await useServerTenant()

describe('login and session', () => {
  it('logs in: /auth/login redirects to /authorize, the callback sets a session, the app sees the user', async () => {
    const app = appOf(makeAuth())
    const { browser, start, done } = await logIn(app, (url) => auth0.authorize(url))
    expect(start.status).toBe(302)
    const to = new URL(start.headers.get('location') ?? '')
    expect(to.origin + to.pathname).toBe('https://server-tenant.auth0.example/authorize')
    expect(to.searchParams.get('redirect_uri')).toBe(`${APP}/auth/callback`)
    expect(to.searchParams.get('audience')).toBe(API)
    expect(to.searchParams.get('scope')).toBe('openid profile email offline_access')
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe(`${APP}/`)
    expect(browser.names().some((n) => n.startsWith('__Host-authcode.session'))).toBe(true)
    expect(browser.names().some((n) => n.startsWith('__Host-authcode.tx.'))).toBe(false)
    const me = await app(browser.request(`${APP}/me`))
    expect(me.status).toBe(200)
    expect((await me.json()).user.sub).toBe('auth0|test-user')
  })
})
