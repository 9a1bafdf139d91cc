// The rows of metric 8 (reading a session from a request's cookies), each with the Worker bundle
// (login, callback, session) of metric 8's size column. Every contender gets the same input, a
// fresh `Request` carrying its own session cookie, and returns the user's `sub`; the cookies
// hold the same login (Jane's ID token claims, ID token, access token JWT, refresh token),
// each in the library's own format, made by the library's own code.
import { LIMITS } from '../../scripts/check-size.mjs'
import { API, APP_ORIGIN, CLIENT_ID, CLIENT_SECRET, DOMAIN, SECRET } from './login.mjs'

const URL_ME = `${APP_ORIGIN}/me`
const requestWith = (cookie) => () => new Request(URL_ME, { headers: { cookie } })
const ourWorker = LIMITS.find((l) => l.name.startsWith('authcode/server Worker'))

/** A Cookie header from [name, value] pairs. */
const cookieHeader = (pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; ')

export const CONTENDERS = [
  {
    name: 'authcode/server',
    package: 'authcode',
    worker: {
      code: ourWorker.code,
      contains: 'the Worker of scripts/check-size.mjs: createAuth (login, callback, logout and back-channel logout routes, sealed chunked cookie sessions, token refresh), wrap, getSession',
    },
    reads: 'auth.getSession(request): joins the cookie chunks, opens the JWE (dir, A256GCM, key derived once and cached), checks the session shape and lifetimes',
    async create(login) {
      const { auth, cookie } = login
      const request = requestWith(cookie)
      return { cookie, run: async () => (await auth.getSession(request()))?.user.sub }
    },
  },
  {
    name: 'raw',
    reads: "jose `compactDecrypt(jwe, key)` of the same joined cookie value with the same CryptoKey (no cookie parsing, no JSON, no checks): the floor",
    worker: { na: 'a baseline, not a login' },
    async create(login) {
      const { compactDecrypt } = await import('jose')
      const { sealed, key, session } = login
      const decoder = new TextDecoder()
      // Decoded once here to prove the key; the timed call only decrypts.
      const first = JSON.parse(decoder.decode((await compactDecrypt(sealed, key)).plaintext)).d
      if (first.sub !== session.sub) throw new Error('raw: the cookie did not decrypt to the session')
      return { cookie: login.cookie, run: async () => (await compactDecrypt(sealed, key), session.sub), expect: session.sub }
    },
  },
  {
    name: '@auth0/nextjs-auth0',
    package: '@auth0/nextjs-auth0',
    reads: "`auth0.getSession(request)` (it makes a NextRequest of the Request): the chunked `__session` cookie, an encrypted JWT (dir, A256GCM) whose key is derived with HKDF on every read, jwtDecrypt's claim checks",
    worker: {
      code: `import { Auth0Client } from '@auth0/nextjs-auth0/server'
const auth0 = new Auth0Client()
export async function middleware(request) { return auth0.middleware(request) }
export async function me(request) {
  const session = await auth0.getSession(request)
  return session ? Response.json(session.user) : new Response('anonymous', { status: 401 })
}`,
      contains: 'Next.js middleware, not a Worker of its own: Auth0Client, auth0.middleware (login, callback, logout, …), getSession; next/*, react and react-dom are left out of the bundle, as every Next.js app has them anyway',
      // Next.js bundles it for its own edge runtime; next/server is part of every Next.js app.
      external: ['next', 'next/*', 'react', 'react-dom', 'react/*', 'react-dom/*'],
      externalWhy: 'without next and react',
    },
    async create(login) {
      const { Auth0Client } = await import('@auth0/nextjs-auth0/server')
      const { generateSessionCookie } = await import('@auth0/nextjs-auth0/testing')
      const { session } = login
      const t = session.tokens['']
      const value = await generateSessionCookie(
        {
          user: session.user,
          tokenSet: { accessToken: t.accessToken, idToken: session.idToken, refreshToken: session.refreshToken, expiresAt: t.expiresAt, scope: t.scope },
          internal: { sid: session.user.sid ?? 'bench-sid', createdAt: session.createdAt },
        },
        { secret: SECRET },
      )
      // Split as its setChunkedCookie does: 3,500 characters a cookie, __session__0, __session__1, …
      const pairs = value.length <= 3500 ? [['__session', value]] : Array.from({ length: Math.ceil(value.length / 3500) }, (_, i) => [`__session__${i}`, value.slice(i * 3500, (i + 1) * 3500)])
      const cookie = cookieHeader(pairs)
      const auth0 = new Auth0Client({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appBaseUrl: APP_ORIGIN, secret: SECRET })
      const request = requestWith(cookie)
      return { cookie, run: async () => (await auth0.getSession(request()))?.user.sub }
    },
  },
  {
    name: '@auth0/auth0-hono',
    package: '@auth0/auth0-hono',
    reads: "a Hono app: the `auth()` middleware (AsyncLocalStorage context per request), a route calling `c.var.auth0Client.getSession(c)`: the chunked `appSession` cookie, an encrypted JWT (dir, A256CBC-HS512) whose key is derived with HKDF on every read (its kid is random per write)",
    worker: {
      code: `import { Hono } from 'hono'
import { auth } from '@auth0/auth0-hono'
const app = new Hono()
app.use(auth({ authRequired: false }))
app.get('/me', async (c) => {
  const session = await c.var.auth0Client.getSession(c)
  return session ? c.json(session.user) : c.text('anonymous', 401)
})
export default app`,
      contains: 'a Hono app: auth() (login, callback, logout, back-channel logout routes), a route reading the session; Hono itself counted',
      nodeCompat: true,
    },
    async create(login) {
      const { Hono } = await import('hono')
      const { auth } = await import('@auth0/auth0-hono')
      const { StatelessStateStore } = await import('@auth0/auth0-server-js')
      const { session } = login
      const t = session.tokens['']
      // The store auth0-hono uses for cookie sessions, writing through a handler that keeps what it sets.
      const set = new Map()
      const handler = { getCookies: () => Object.fromEntries(set), getCookie: (n) => set.get(n), setCookie: (n, v) => set.set(n, v), deleteCookie: (n) => set.delete(n) }
      await new StatelessStateStore({ secret: SECRET }, handler).set(
        'appSession',
        {
          user: session.user,
          idToken: session.idToken,
          refreshToken: session.refreshToken,
          tokenSets: [{ audience: API, accessToken: t.accessToken, scope: t.scope, expiresAt: t.expiresAt }],
          internal: { sid: session.user.sid ?? 'bench-sid', createdAt: session.createdAt },
        },
        false,
      )
      const cookie = cookieHeader([...set])
      const app = new Hono()
      app.use(auth({ domain: DOMAIN, clientID: CLIENT_ID, clientSecret: CLIENT_SECRET, baseURL: APP_ORIGIN, session: { secret: SECRET }, authRequired: false }))
      app.get('/me', async (c) => c.text((await c.var.auth0Client.getSession(c))?.user?.sub ?? 'anonymous'))
      const request = requestWith(cookie)
      return { cookie, run: async () => (await app.fetch(request())).text() }
    },
  },
  {
    name: '@hono/oidc-auth',
    package: '@hono/oidc-auth',
    reads: "a Hono app: `initOidcAuthMiddleware(config)`, a route calling `getAuth(c)`: the `oidc-auth` cookie, a JWT signed with HS256 (hono/jwt, the key imported on every read), not encrypted; by default it holds sub, email and the refresh token (readable by whoever has the cookie), no ID or access token",
    worker: {
      code: `import { Hono } from 'hono'
import { getAuth, oidcAuthMiddleware, revokeSession } from '@hono/oidc-auth'
const app = new Hono()
app.get('/logout', async (c) => { await revokeSession(c); return c.redirect('/') })
app.use('*', oidcAuthMiddleware())
app.get('/me', async (c) => c.json(await getAuth(c)))
export default app`,
      contains: 'a Hono app: oidcAuthMiddleware (login redirect, callback), getAuth, revokeSession; Hono itself counted',
    },
    async create(login) {
      const { Hono } = await import('hono')
      const { getAuth, initOidcAuthMiddleware } = await import('@hono/oidc-auth')
      const { sign } = await import('hono/jwt')
      const { session } = login
      // The claims its updateAuth signs after a login, with its default claims hook.
      const now = Math.floor(Date.now() / 1000)
      const jwt = await sign({ sub: session.user.sub, email: session.user.email ?? '', rtk: session.refreshToken ?? '', rtkexp: now + 900, ssnexp: now + 86_400 }, SECRET, 'HS256')
      const cookie = cookieHeader([['oidc-auth', jwt]])
      const app = new Hono()
      app.use(initOidcAuthMiddleware({ OIDC_AUTH_SECRET: SECRET, OIDC_ISSUER: `https://${DOMAIN}/`, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET }))
      app.get('/me', async (c) => c.text((await getAuth(c))?.sub ?? 'anonymous'))
      const request = requestWith(cookie)
      return { cookie, run: async () => (await app.fetch(request())).text() }
    },
  },
]

/** What the rates above contain besides the session: measured in the same rounds, not contenders. */
export const REFERENCES = [
  {
    name: 'new Request (reference)',
    reads: 'only `new Request(url, { headers: { cookie } })` with authcode\'s cookie: the part of every row but raw that is not the library',
    async create(login) {
      const request = requestWith(login.cookie)
      return { run: async () => (request(), login.session.sub) }
    },
  },
  {
    name: 'Hono route (reference)',
    reads: "a Hono app whose route answers `c.text(sub)` without reading a session (authcode's cookie on the request): the part of the two Hono rows that is Hono and the Request",
    async create(login) {
      const { Hono } = await import('hono')
      const app = new Hono()
      app.get('/me', (c) => c.text(login.session.sub))
      const request = requestWith(login.cookie)
      return { run: async () => (await app.fetch(request())).text() }
    },
  },
]
