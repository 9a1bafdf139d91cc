// authcode/server with every provider profile: login, session, access token, refresh and logout,
// as an app on each provider would run it (issuer from discovery, the provider's own shapes).
import { describe, expect, it } from 'vitest'
import { createAuth } from 'authcode/server'
import { Browser } from '../helpers/browser.js'
import { GOOGLE, PROFILES } from './profiles/index.js'
import { createStandIn } from './stand-in.js'

const APP = 'https://app.example.com'

describe.each(PROFILES)('authcode/server with $name', (profile) => {
  it('logs in, reads the session, hands out the access token, refreshes when it can, and logs out', async () => {
    const s = await createStandIn(profile)
    const auth = createAuth({
      ...profile.config,
      clientId: profile.client.id,
      clientSecret: profile.client.secret,
      fetch: s.fetch,
      baseUrl: APP,
      routes: { callback: new URL(profile.client.redirectUri).pathname },
      secret: 'provider-profile-session-secret-0123456789',
      authorizationParams: {
        scope: profile.login.scope,
        ...(profile.login.audience !== undefined && { audience: profile.login.audience }),
        ...(profile.login.extraParams !== undefined && { extraParams: profile.login.extraParams }),
      },
    })
    const app = auth.wrap(async (request) => {
      const session = await auth.getSession(request)
      return session === null ? new Response(null, { status: 401 }) : Response.json({ sub: session.user.sub, token: await auth.getAccessToken(request) })
    })
    const browser = new Browser()
    const login = browser.take(await app(browser.request(`${APP}/auth/login`)))
    const done = browser.take(await app(browser.request(s.login(new URL(login.headers.get('location') ?? '')))))
    expect(done.status, await done.clone().text()).toBe(302)

    const me = await (await app(browser.request(`${APP}/me`))).json()
    expect(me.token).toBe(s.issued.accessTokens.at(-1))
    expect(typeof me.sub).toBe('string')

    if (s.issued.refreshTokens.length > 0) {
      const request = browser.request(`${APP}/me`)
      const before = s.tokenRequests().length
      const fresh = await auth.getAccessToken(request, { forceRefresh: true })
      expect(s.tokenRequests()).toHaveLength(before + 1)
      expect(fresh).toBe(s.issued.accessTokens.at(-1))
      browser.take(await auth.commit(request, new Response(null)))
      expect((await (await app(browser.request(`${APP}/me`))).json()).token).toBe(fresh)
    }

    const logout = browser.take(await app(browser.request(`${APP}/auth/logout`)))
    const to = new URL(logout.headers.get('location') ?? '')
    if (profile === GOOGLE) expect(to.href).toBe(`${APP}/`)
    else expect(to.searchParams.get('client_id')).toBe(profile.client.id)
    expect((await app(browser.request(`${APP}/me`))).status).toBe(401)
  })
})
