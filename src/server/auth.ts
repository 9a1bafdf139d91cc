// createAuth: routes, sessions and access tokens for any framework that speaks Web Request/Response.
import type { ClientConfig } from '../config.js'
import { parseCookieHeader } from '../cookies/cookie.js'
import { ConfigError, LoginRequiredError } from '../errors.js'
import { fetchApi } from '../lib/http.js'
import type { InferClaims, StandardSchemaV1 } from '../lib/standard-schema.js'
import type { SessionData } from '../storage/session-store.js'
import { TokenClient } from '../tokens/token-client.js'
import { apiUrl, isReplayable } from '../tokens/token-manager.js'
import { type IdTokenClaims, epochSeconds } from '../token-set.js'
import { createJar } from './jar.js'
import { createOnce } from './once.js'
import { type AuthOptions, type Session, resolveAuthOptions } from './options.js'
import { type RouteContext, answer, at, backchannelLogout, callback, login, logout, notAllowed } from './routes.js'
import { createSessions, toSession } from './sessions.js'
import { type AccessTokenOptions, createTokens } from './tokens.js'

/**
 * What {@link createAuth} returns: the routes, the session and the user's access tokens.
 *
 * @example
 * ```ts
 * const session = await auth.getSession(request)
 * const res = await auth.fetch(request, 'https://api.example.com/contacts')
 * ```
 */
export interface Auth<U = IdTokenClaims> {
  /** Answers the login, callback, logout and back-channel logout routes; `undefined` for any other request. */
  handle(request: Request): Promise<Response | undefined>
  /**
   * `handle`, then your handler, then the session's cookies (rolling expiry, refreshed tokens)
   * on its response. A {@link LoginRequiredError} out of your handler (no session, or a refresh
   * token the provider no longer takes) becomes a redirect to the login route and back for a
   * page (a GET that accepts HTML), a 401 `{ "error": "login_required" }` otherwise; a session
   * that ended has its cookie cleared.
   */
  wrap<A extends unknown[]>(handler: (request: Request, ...rest: A) => Response | Promise<Response>): (request: Request, ...rest: A) => Promise<Response>
  /** The logged-in user, or null. Reads only: works where cookies cannot be written. */
  getSession(request: Request | Headers): Promise<Session<U> | null>
  /**
   * A valid access token of the session, refreshed at most once however many requests ask at
   * once. With read-only `Headers` and cookie sessions it does not refresh (a `ConfigError`
   * says where to): the rotated refresh token could not be saved.
   */
  getAccessToken(request: Request | Headers, options?: AccessTokenOptions): Promise<string>
  /** Calls an API with the session's access token; on a 401, refreshes once and retries once. */
  fetch(request: Request | Headers, input: RequestInfo | URL, init?: RequestInit, options?: AccessTokenOptions): Promise<Response>
  /**
   * The `Set-Cookie` header values `commit` would add, for frameworks that set headers their own
   * way (Hono's `c.header(…, { append: true })`, Express's `res.append`).
   */
  cookies(request: Request): Promise<string[]>
  /**
   * Adds the session's Set-Cookie headers to a response: refreshed tokens, the rolling expiry
   * (each request is a use), or the deletion of a cookie that is no session. What `wrap` does
   * after your handler; call it yourself where you cannot wrap (a framework's middleware).
   */
  commit(request: Request, response: Response): Promise<Response>
}

interface RequestState {
  readonly cookies: Record<string, string>
  readonly loaded: Promise<SessionData | undefined>
  /** The session as this request changed it (a refresh), to be written back. */
  changed?: SessionData
  /** The session ended during this request (refresh token dead). */
  ended?: boolean
}

/**
 * Writes a session for an Auth without a login: for authcode/testing's mintSession only.
 * Internal; not exported from authcode/server.
 */
export const sessionWriters = new WeakMap<object, (data: SessionData) => Promise<string[]>>()

// One-time ids remembered per memory (transactions live 10 minutes, logout tokens 5).
const MAX_SEEN = 100_000
const SEEN_SECONDS = 600

/**
 * Login, callback, logout and sessions for any framework with Web `Request`/`Response`
 * (Workers, Bun, Deno, Hono, Next.js, SvelteKit; Express and node:http through a bridge).
 *
 * Sessions are sealed in chunked `HttpOnly` cookies by default, or kept in a `session.store`
 * with only a sealed random id in the cookie. Routes (under `baseUrl`): `GET /auth/login`
 * (`returnTo`, `organization`, `invitation`, `screen_hint`, `login_hint`, `prompt`,
 * `ui_locales`, `connection`), `GET|POST /auth/callback`, `GET /auth/logout` (`returnTo`),
 * `POST /auth/backchannel-logout`.
 *
 * @throws {ConfigError} for a bad option, at once.
 * @example
 * ```ts
 * import { createAuth } from 'authcode/server'
 * const auth = createAuth({
 *   domain: 'my-tenant.eu.auth0.com', clientId, clientSecret,
 *   baseUrl: 'https://app.example.com', secret: env.AUTH_SECRET,
 *   authorizationParams: { scope: 'openid profile email offline_access', audience: 'https://api.example.com' },
 * })
 * export default {
 *   fetch: auth.wrap(async (request) => {
 *     const session = await auth.getSession(request)
 *     if (!session) return Response.redirect(new URL('/auth/login?returnTo=/me', request.url))
 *     const res = await auth.fetch(request, 'https://api.example.com/contacts')
 *     return Response.json({ user: session.user, contacts: await res.json() })
 *   }),
 * }
 * ```
 */
export function createAuth<S extends StandardSchemaV1 | undefined = undefined>(options: AuthOptions<S>): Auth<IdTokenClaims & InferClaims<S>> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object')
  const o = resolveAuthOptions(options as AuthOptions<StandardSchemaV1 | undefined>)
  // The options are the ClientConfig (its checks read only their own fields): one object for
  // the life of the app, so it is checked, and its issuer discovered, once.
  const config: ClientConfig = options
  const client = new TokenClient(config)
  const formPost = options.authorizationParams?.responseMode === 'form_post'
  const jar = createJar(o, options.session?.cookie, formPost)
  const sessions = createSessions(o, jar)
  const tokens = createTokens(client, sessions, o.leeway)
  const base = (request: Request) => (o.baseUrl instanceof URL ? o.baseUrl : o.baseUrl(request))

  // A replayed callback is refused (its code would fail at the provider, which may then revoke
  // the tokens it gave for it); a flood that fills the memory cannot lock logins out.
  const consume = createOnce(MAX_SEEN, true)
  // Logout tokens are signed by the provider: when full of live ones, refuse.
  const seen = createOnce(MAX_SEEN, false)
  const ctx: RouteContext = {
    options: options as AuthOptions<StandardSchemaV1 | undefined>,
    o,
    config,
    client,
    jar,
    sessions,
    base,
    consume,
    seen: (jti) => !seen(jti, epochSeconds() + SEEN_SECONDS),
  }

  const states = new WeakMap<Request | Headers, RequestState>()
  function state(request: Request | Headers): RequestState {
    let st = states.get(request)
    if (st === undefined) {
      const headers = request instanceof Request ? request.headers : request
      const cookies = parseCookieHeader(headers.get('cookie'))
      st = { cookies, loaded: sessions.read(cookies) }
      states.set(request, st)
    }
    return st
  }
  async function current(st: RequestState): Promise<SessionData | undefined> {
    if (st.ended === true) return undefined
    const data = st.changed ?? (await st.loaded)
    return data === undefined ? undefined : tokens.latest(data)
  }

  async function handle(request: Request): Promise<Response | undefined> {
    const path = new URL(request.url).pathname
    let b: URL
    try {
      b = base(request)
    } catch (err) {
      // A host that is not in allowedBaseUrls: its auth routes are refused, anything else is
      // the app's (a health check by IP address must not fail).
      if (!(err instanceof ConfigError) || o.baseUrl instanceof URL) throw err
      const ours = Object.values(o.routes).some((r) => path.endsWith(r))
      return ours ? answer('This host is not one of the allowedBaseUrls', 400) : undefined
    }
    // Plain string compares (routes are stored as URL paths): handle runs on every request.
    const prefix = b.pathname.replace(/\/+$/, '')
    const route = (name: keyof typeof o.routes) => path === prefix + o.routes[name]
    try {
      if (route('login')) return request.method === 'GET' ? await login(ctx, request) : notAllowed('GET')
      if (route('callback')) return await callback(ctx, request)
      if (route('logout')) {
        if (request.method !== 'GET' && request.method !== 'POST') return notAllowed('GET, POST')
        return await logout(ctx, request, await current(state(request)))
      }
      if (route('backchannelLogout')) return await backchannelLogout(ctx, request)
    } catch (err) {
      options.hooks?.onError?.(err as Error, request)
      throw err
    }
    return undefined
  }

  async function getAccessToken(request: Request | Headers, p: AccessTokenOptions = {}) {
    return (await token(request, p)).accessToken
  }
  async function token(request: Request | Headers, p: AccessTokenOptions) {
    const st = state(request)
    const data = await current(st)
    if (data === undefined) throw new LoginRequiredError('No one is logged in: send the user to the login route')
    try {
      const got = await tokens.get(data, p, request instanceof Request)
      if (got.data !== data || st.changed !== undefined) st.changed = got.data
      return got.token
    } catch (err) {
      // The refresh token is dead: the session is over here, and in the store for every instance.
      if (err instanceof LoginRequiredError && err.cause !== undefined) {
        st.ended = true
        if (sessions.store !== undefined) await sessions.store.delete(data.id)
      }
      throw err
    }
  }

  const apiFetch = (...args: Parameters<typeof fetch>) => (options.fetch ?? globalThis.fetch)(...args)
  async function authFetch(request: Request | Headers, input: RequestInfo | URL, init?: RequestInit, p: AccessTokenOptions = {}) {
    const target = apiUrl(input, client.allowInsecureRequests)
    if (!(input instanceof Request)) input = target.href
    const send = (t: { accessToken: string; tokenType: string }) => {
      if (t.tokenType === 'DPoP') return client.fetchWithDpop(t.accessToken, input, init, (i, n) => fetchApi(apiFetch, i, n, client.timeoutMs))
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
      headers.set('authorization', `${t.tokenType} ${t.accessToken}`)
      return fetchApi(apiFetch, input, { ...init, headers }, client.timeoutMs)
    }
    const first = await token(request, p)
    const res = await send(first)
    if (res.status !== 401 || !isReplayable(input, init)) return res
    const fresh = await token(request, { ...p, forceRefresh: true })
    // Not awaited: some bodies (msw's, a proxy's) settle their cancel only once read.
    res.body?.cancel().catch(() => undefined)
    return send(fresh)
  }

  async function commit(request: Request, response: Response): Promise<Response> {
    const setCookies = await cookies(request)
    if (setCookies.length === 0) return response
    const out = new Response(response.body, response)
    for (const value of setCookies) out.headers.append('set-cookie', value)
    return out
  }

  async function cookies(request: Request): Promise<string[]> {
    // Every request through wrap is a use of the session (rolling expiry), read or not.
    const st = state(request)
    const loaded = await st.loaded
    let setCookies: string[] = []
    if (st.ended === true) {
      setCookies = await sessions.clear(undefined, st.cookies)
    } else {
      const data = st.changed ?? (loaded === undefined ? undefined : tokens.latest(loaded))
      if (data !== undefined) {
        const stale = data !== loaded
        if (stale || sessions.dueForTouch(data)) setCookies = await sessions.write({ ...data, touchedAt: epochSeconds() }, st.cookies)
      } else if (Object.keys(st.cookies).some((name) => name === jar.session || name.startsWith(`${jar.session}.`))) {
        // A cookie that is no session (expired, tampered, ended elsewhere): remove it.
        setCookies = await sessions.clear(undefined, st.cookies)
      }
    }
    return setCookies
  }

  function loginRequired(request: Request): Response {
    const url = new URL(request.url)
    const page = (request.method === 'GET' || request.method === 'HEAD') && (request.headers.get('accept') ?? '').includes('text/html')
    let b: URL | undefined
    try {
      b = base(request)
    } catch {
      // a host that is not in allowedBaseUrls: no login to send it to
    }
    if (!page || b === undefined) return Response.json({ error: 'login_required' }, { status: 401, headers: { 'cache-control': 'no-store' } })
    const login = at(b, o.routes.login)
    login.searchParams.set('returnTo', `${url.pathname}${url.search}`)
    return answer(null, 302, { location: login.href })
  }

  const auth: Auth<IdTokenClaims & InferClaims<S>> = {
    handle,
    wrap(handler) {
      return async (request, ...rest) => {
        const own = await handle(request)
        if (own !== undefined) return own
        let response: Response
        try {
          response = await handler(request, ...rest)
        } catch (err) {
          // No session, or it ended (a dead refresh token): a login, and the old cookie goes.
          if (!(err instanceof LoginRequiredError)) throw err
          response = loginRequired(request)
        }
        return commit(request, response)
      }
    },
    async getSession(request) {
      const data = await current(state(request))
      if (data === undefined) return null
      return toSession(data, sessions.endsAt(data))
    },
    getAccessToken,
    fetch: authFetch,
    cookies,
    commit,
  }
  sessionWriters.set(auth, (data) => sessions.write(data, {}, true))
  return auth
}

