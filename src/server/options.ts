// createAuth's options: their types, their checks and their defaults.
import type { ClientConfig } from '../config.js'
import { type AuthcodeError, ConfigError } from '../errors.js'
import { httpUrl } from '../lib/checks.js'
import type { StandardSchemaV1 } from '../lib/standard-schema.js'
import type { AuthorizeOptions } from '../login/authorize.js'
import { checkSecrets } from '../cookies/seal.js'
import type { SessionStore } from '../storage/session-store.js'
import type { CallbackFailure } from './failure.js'

/**
 * The paths `auth.handle` answers. Each must start with `/`.
 *
 * @example
 * ```ts
 * const routes: AuthRoutes = { login: '/login', callback: '/login/callback' }
 * ```
 */
export interface AuthRoutes {
  /** Default `/auth/login`. */
  login?: string
  /** Default `/auth/callback`: the redirect URI to register is `baseUrl` + this. */
  callback?: string
  /** Default `/auth/logout`. */
  logout?: string
  /** Default `/auth/backchannel-logout`: the back-channel logout URI to register. */
  backchannelLogout?: string
}

/**
 * How long sessions live and where they are kept.
 *
 * @example
 * ```ts
 * const session: SessionOptions = { store: new MemorySessionStore(), rolling: 3600, absolute: 86_400 }
 * ```
 */
export interface SessionOptions {
  /**
   * Keep sessions server-side, the cookie holding only a sealed random id. Default: none, the
   * whole session sealed in chunked cookies. A store is needed for back-channel logout.
   */
  store?: SessionStore
  /** Seconds a session lives without being used (each use extends it); `false` for none. Default 86,400 (a day). */
  rolling?: number | false
  /** Seconds a session lives at most from its login, however much it is used. Default 604,800 (7 days). */
  absolute?: number
  /** The session cookie. */
  cookie?: {
    /** Default `authcode.session`, with the `__Host-` prefix when the cookie is `Secure` and has no domain. */
    name?: string
    /** Default: none (this host only). */
    domain?: string
    /** Default `"Lax"`. */
    sameSite?: 'Lax' | 'Strict' | 'None'
  }
}

/**
 * What a logged-in user looks like to the app: the ID token's claims, typed from `claims`.
 *
 * @example
 * ```ts
 * const session = await auth.getSession(request)
 * const greeting = session ? `Hello, ${session.user.sub}; until ${new Date(session.expiresAt * 1000).toISOString()}` : 'Log in'
 * ```
 */
export interface Session<U = Record<string, unknown>> {
  /** The ID token's claims (`sub`, `name`, `email`, …). */
  user: U & { sub: string }
  /** Epoch seconds at which the session ends if it is not used before (rolling or absolute). */
  expiresAt: number
  /** Epoch seconds of the login. */
  createdAt: number
  /** The ID token, for an API that asks for one. */
  idToken?: string
}

/**
 * Hooks that let an app change what the routes do.
 *
 * @example
 * ```ts
 * const hooks: AuthHooks = {
 *   onCallbackError: (failure) => new Response(`Sorry: ${failure.reason}`, { status: failure.status }),
 * }
 * ```
 */
export interface AuthHooks {
  /** Renders a failed callback. Default: a plain page with the failure's reason and a sentence. */
  onCallbackError?(failure: CallbackFailure, request: Request): Response | Promise<Response>
  /** Called after a login, before the session is saved; throw to refuse it. */
  onLogin?(session: Session, request: Request): void | Promise<void>
  /** Called when a route or `wrap` fails unexpectedly (a provider outage, a store error). */
  onError?(error: AuthcodeError | Error, request: Request): void
}

/**
 * The options of {@link createAuth}: every {@link ClientConfig} option, plus the app's own.
 *
 * @example
 * ```ts
 * const options: AuthOptions = {
 *   domain: 'my-tenant.eu.auth0.com', clientId, clientSecret,
 *   baseUrl: 'https://app.example.com', secret: env.AUTH_SECRET, // a Worker's env, Deno.env.get(…), …
 *   authorizationParams: { scope: 'openid profile email offline_access', audience: 'https://api.example.com' },
 * }
 * ```
 */
export interface AuthOptions<S extends StandardSchemaV1 | undefined = undefined> extends ClientConfig {
  /**
   * Where the app is served: the callback URL is this plus `routes.callback`. A function of
   * the request for an app on several domains; what it returns must be in `allowedBaseUrls`.
   * Never built from the request's `Host` or `X-Forwarded-Host` unless you do so here.
   */
  baseUrl: string | ((request: Request) => string)
  /** The base URLs a `baseUrl` function may return. Required with a function. */
  allowedBaseUrls?: readonly string[]
  /** At least 32 characters; a list to rotate (the first seals, any opens). */
  secret: string | readonly string[]
  /** What every login asks for. Default scope: `openid profile email offline_access`. */
  authorizationParams?: AuthorizeOptions
  /** The paths the auth answers. Default under `/auth/`. */
  routes?: AuthRoutes
  /** How long sessions live and where they are kept. Default: sealed cookies. */
  session?: SessionOptions
  /** A Standard Schema (zod, valibot, …) for the ID token's claims: `session.user` is typed from it. */
  claims?: S
  /** Where logout sends the user back to when the request names no `returnTo`. Default `/`. */
  logoutReturnTo?: string
  /** Revoke the refresh token at the provider on logout. Default `false`. */
  revokeOnLogout?: boolean
  /** Seconds before expiry at which an access token is refreshed. Default 60. */
  leewaySeconds?: number
  /** Hooks that change what the routes do. */
  hooks?: AuthHooks
}

/** The checked options, with defaults. */
export interface ResolvedAuthOptions {
  readonly baseUrl: ((request: Request) => URL) | URL
  readonly routes: Required<AuthRoutes>
  readonly secret: string[]
  readonly rolling: number | false
  readonly absolute: number
  readonly secure: boolean
  readonly store: SessionStore | undefined
  readonly leeway: number
}

const DEFAULT_ROLLING_SECONDS = 86_400
const DEFAULT_ABSOLUTE_SECONDS = 604_800

/** A base URL: absolute http(s), no query or fragment, its path without a trailing slash. */
function baseUrlOf(value: unknown, field: string): URL {
  const url = httpUrl(value, field)
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(field, 'must be an origin and path, with no query, fragment or credentials')
  }
  url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}

/** Plain http is allowed only on this machine. */
function isLocal(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]'
}

function route(value: unknown, fallback: string, field: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(value) || value.startsWith('//')) {
    throw new ConfigError(field, 'must be a path that starts with one "/"')
  }
  // As a URL writes it (dot segments resolved), so that a request's pathname compares equal.
  return new URL(value, 'http://x').pathname
}

function seconds(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ConfigError(field, 'must be a positive number of seconds')
  return value
}

/** Checks createAuth's own options (the ClientConfig ones are checked by the TokenClient). */
export function resolveAuthOptions(o: AuthOptions<StandardSchemaV1 | undefined>): ResolvedAuthOptions {
  let baseUrl: ResolvedAuthOptions['baseUrl']
  let urls: URL[]
  if (typeof o.baseUrl === 'function') {
    if (!Array.isArray(o.allowedBaseUrls) || o.allowedBaseUrls.length === 0) {
      throw new ConfigError('allowedBaseUrls', 'list the base URLs a baseUrl function may return')
    }
    urls = o.allowedBaseUrls.map((u, i) => baseUrlOf(u, `allowedBaseUrls[${i}]`))
    const allowed = new Map(urls.map((u) => [u.href, u]))
    const pick = o.baseUrl
    baseUrl = (request) => {
      const picked = allowed.get(baseUrlOf(pick(request), 'baseUrl').href)
      if (picked === undefined) throw new ConfigError('baseUrl', 'returned a base URL that is not in allowedBaseUrls')
      return picked
    }
  } else {
    baseUrl = baseUrlOf(o.baseUrl, 'baseUrl')
    urls = [baseUrl]
  }
  for (const url of urls) {
    if (url.protocol === 'http:' && !isLocal(url)) {
      throw new ConfigError('baseUrl', 'must be https (plain http only for localhost or 127.0.0.1): session cookies travel on it')
    }
  }
  const routes = o.routes ?? {}
  const session = o.session ?? {}
  const store = session.store
  if (store !== undefined) {
    for (const method of ['get', 'set', 'update', 'delete', 'deleteBy'] as const) {
      if (typeof store[method] !== 'function') throw new ConfigError('session.store', `must be a SessionStore (it has no ${method} method)`)
    }
  }
  const rolling = session.rolling === false ? false : seconds(session.rolling, DEFAULT_ROLLING_SECONDS, 'session.rolling')
  const leeway = o.leewaySeconds ?? 60
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
    throw new ConfigError('leewaySeconds', 'must be a number of seconds, 0 or more')
  }
  return {
    baseUrl,
    routes: {
      login: route(routes.login, '/auth/login', 'routes.login'),
      callback: route(routes.callback, '/auth/callback', 'routes.callback'),
      logout: route(routes.logout, '/auth/logout', 'routes.logout'),
      backchannelLogout: route(routes.backchannelLogout, '/auth/backchannel-logout', 'routes.backchannelLogout'),
    },
    secret: [...checkSecrets(o.secret)],
    rolling,
    absolute: seconds(session.absolute, DEFAULT_ABSOLUTE_SECONDS, 'session.absolute'),
    // Secure unless every base URL is plain http on this machine.
    secure: urls.some((u) => u.protocol === 'https:'),
    store,
    leeway,
  }
}
