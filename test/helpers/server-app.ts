// An authcode/server app against the stand-in tenant of authcode/testing (msw), and a browser to drive it.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers, type TestLoginOptions } from 'authcode/testing/msw'
import { type Auth, type AuthOptions, createAuth } from 'authcode/server'
import { Browser } from './browser.js'

export const DOMAIN = 'server-tenant.auth0.example'
export const CLIENT_ID = 'sErVeRcLiEnTiD00000000000000000'
export const CLIENT_SECRET = 'server-client-secret-0123456789abcdef'
export const API = 'https://api.example.com'
export const APP = 'https://app.example.com'
export const SECRET = 'a-server-session-secret-of-32-chars-or-more'

/** The tenant, its handlers and an msw server for the file. */
export async function useServerTenant(handlerOptions: Parameters<typeof createAuth0Handlers>[1] = {}) {
  const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
  const auth0 = createAuth0Handlers(tenant, { clientSecret: CLIENT_SECRET, audience: API, ...handlerOptions })
  const server = setupServer(...auth0.handlers)
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    auth0.reset()
    server.resetHandlers()
  })
  afterAll(() => server.close())
  return { tenant, auth0, server }
}

/** createAuth with the test tenant's client, over `APP`. */
export function makeAuth(extra: Partial<AuthOptions> = {}): Auth {
  return createAuth({
    domain: DOMAIN,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    baseUrl: APP,
    secret: SECRET,
    authorizationParams: { audience: API },
    ...extra,
  } as AuthOptions)
}

/** What a test app answers: its own routes, else the session's user (or 401). */
export function appOf(auth: Auth) {
  return auth.wrap(async (request) => {
    const session = await auth.getSession(request)
    if (session === null) return new Response('anonymous', { status: 401 })
    return Response.json({ user: session.user, expiresAt: session.expiresAt })
  })
}

/** Logs a browser in through the app: /auth/login, the tenant's /authorize, /auth/callback. */
export async function logIn(
  app: (request: Request) => Promise<Response>,
  authorize: (url: URL, p?: TestLoginOptions) => Promise<URL>,
  browser = new Browser(),
  p: { loginPath?: string; login?: TestLoginOptions } = {},
) {
  const start = browser.take(await app(browser.request(`${APP}${p.loginPath ?? '/auth/login'}`)))
  const to = new URL(start.headers.get('location') ?? '')
  const callback = await authorize(to, p.login)
  const done = browser.take(await app(browser.request(callback)))
  return { browser, start, callback, done }
}
