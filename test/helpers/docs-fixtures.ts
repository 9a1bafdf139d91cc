// What the guides' hidden preludes import as 'docs:fixtures' (see test/docs.test.ts): the provider
// stand-ins of test/providers and authcode/testing's Auth0 tenant, answering through msw at their
// real https URLs, with the env values a reader would set; a Redis server; a browser for logins.
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { type TestTenant, createTestTenant } from 'authcode/testing'
import { type Auth0Handlers, type Auth0HandlersOptions, createAuth0Handlers } from 'authcode/testing/msw'
import { AUTH0_CUSTOM_DOMAIN, AUTH0_TENANT, COGNITO, ENTRA, GOOGLE, KEYCLOAK, OKTA_CUSTOM, OKTA_ORG } from '../providers/profiles/index.js'
import { COGNITO_POOL } from '../providers/profiles/cognito.js'
import { ENTRA_API_ID, ENTRA_TENANT } from '../providers/profiles/entra.js'
import type { Profile } from '../providers/profile.js'
import { type StandIn, createStandIn } from '../providers/stand-in.js'
import { Browser } from './browser.js'
import { type RedisServer, requireRedisServer, startRedisServer } from './redis.js'

export { expect } from 'vitest'

/** Where the guides' apps are served: APP_URL. */
export const APP_URL = 'https://app.example.com'

const server = setupServer()
const cleanups: Array<() => unknown> = []
const envBefore = new Map<string, string | undefined>()

/** Called by test/docs.test.ts. */
export function startFixtures(): void {
  server.listen({ onUnhandledRequest: 'error' })
}
export async function resetFixtures(): Promise<void> {
  server.resetHandlers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  for (const [name, value] of envBefore) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  envBefore.clear()
}
export function stopFixtures(): void {
  server.close()
}

function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!envBefore.has(name)) envBefore.set(name, process.env[name])
    process.env[name] = value
  }
}

/** An app as auth.wrap makes it. */
export type App = (request: Request) => Promise<Response>

/** A browser that has logged in to an app: `get` sends its cookies and keeps the ones set. */
export interface UserAgent {
  browser: Browser
  get(path: string, init?: RequestInit): Promise<Response>
}

function userAgent(app: App): UserAgent {
  const browser = new Browser()
  return { browser, get: async (path, init) => browser.take(await app(browser.request(new URL(path, APP_URL), init))) }
}

/** Walks /auth/login → the provider → /auth/callback; throws unless the callback lands. */
async function walkLogin(app: App, loginPath: string, authorize: (url: string) => Promise<string> | string): Promise<UserAgent> {
  const ua = userAgent(app)
  const login = await ua.get(loginPath)
  const to = login.headers.get('location')
  if (login.status !== 302 || to === null) throw new Error(`${loginPath} answered ${login.status}, not a redirect to the provider`)
  const done = await ua.get(await authorize(to))
  if (done.status !== 302 && done.status !== 303) throw new Error(`the callback answered ${done.status}: ${await done.text()}`)
  return ua
}

const PROVIDERS = {
  auth0: AUTH0_TENANT,
  'auth0-custom-domain': AUTH0_CUSTOM_DOMAIN,
  google: GOOGLE,
  entra: ENTRA,
  okta: OKTA_CUSTOM,
  'okta-org': OKTA_ORG,
  keycloak: KEYCLOAK,
  cognito: COGNITO,
} as const

export type ProviderName = keyof typeof PROVIDERS

/** The env values a guide reads for each provider, as the reader would set them. */
function envFor(name: ProviderName, p: Profile): Record<string, string> {
  const client = { id: p.client.id, secret: p.client.secret }
  const issuer = 'issuer' in p.config ? p.config.issuer : ''
  switch (name) {
    case 'auth0':
    case 'auth0-custom-domain':
      return { AUTH0_DOMAIN: new URL(p.issuer).host, AUTH0_CLIENT_ID: client.id, AUTH0_CLIENT_SECRET: client.secret, AUTH0_AUDIENCE: p.api!.audience }
    case 'google':
      return { GOOGLE_CLIENT_ID: client.id, GOOGLE_CLIENT_SECRET: client.secret }
    case 'entra':
      return { ENTRA_TENANT_ID: ENTRA_TENANT, ENTRA_CLIENT_ID: client.id, ENTRA_CLIENT_SECRET: client.secret, ENTRA_API_CLIENT_ID: ENTRA_API_ID }
    case 'okta':
    case 'okta-org':
      return { OKTA_ISSUER: issuer, OKTA_CLIENT_ID: client.id, OKTA_CLIENT_SECRET: client.secret }
    case 'keycloak':
      return { KEYCLOAK_ISSUER: issuer, KEYCLOAK_CLIENT_ID: client.id, KEYCLOAK_CLIENT_SECRET: client.secret }
    case 'cognito':
      return { COGNITO_REGION: COGNITO_POOL.split('_')[0]!, COGNITO_USER_POOL_ID: COGNITO_POOL, COGNITO_CLIENT_ID: client.id, COGNITO_CLIENT_SECRET: client.secret }
  }
}

/** Every origin a profile's documents name: each is answered by the stand-in. */
function originsOf(p: Profile): string[] {
  const urls = [p.discoveryUrl, ...Object.keys(p.documents ?? {}), ...Object.values(p.metadata).filter((v): v is string => typeof v === 'string' && v.startsWith('https://'))]
  return [...new Set(urls.map((u) => new URL(u).origin))]
}

export interface ProviderFixture {
  standIn: StandIn
  profile: Profile
  /** An access token as the provider signs it for the app's login (JWT providers only). */
  accessToken(overrides?: { claims?: Record<string, unknown> }): Promise<string>
  idToken(overrides?: { claims?: Record<string, unknown> }): Promise<string>
  /** A request to your API with `Authorization: Bearer <an access token of this provider>`. */
  apiRequest(url?: string): Promise<Request>
  /** Logs the stand-in's user in to an app made with auth.wrap: /auth/login, the provider, the callback. */
  logIn(app: App, loginPath?: string): Promise<UserAgent>
}

/**
 * A provider's stand-in (test/providers), reached at its real URLs by the global fetch, its app
 * registered with `${APP_URL}/auth/callback`, and the env values its guide reads: APP_URL,
 * AUTH_SECRET and the provider's (AUTH0_DOMAIN…, GOOGLE_CLIENT_ID…, ENTRA_TENANT_ID…, …).
 */
export async function provider(name: ProviderName): Promise<ProviderFixture> {
  const base = PROVIDERS[name]
  const profile: Profile = { ...base, client: { ...base.client, redirectUri: `${APP_URL}/auth/callback`, logoutUri: `${APP_URL}/` } }
  const s = await createStandIn(profile)
  server.use(...originsOf(profile).map((origin) => http.all(`${origin}/*`, ({ request }) => s.fetch(request))))
  setEnv({ APP_URL, AUTH_SECRET: 'docs-session-secret-0123456789abcdefghij', ...envFor(name, profile) })
  return {
    standIn: s,
    profile,
    accessToken: (overrides) => s.mint('access', overrides),
    idToken: (overrides) => s.mint('id', overrides),
    apiRequest: async (url = 'https://api.example.com/contacts') => new Request(url, { headers: { authorization: `Bearer ${await s.mint('access')}` } }),
    logIn: (app, loginPath = '/auth/login') => walkLogin(app, loginPath, (to) => s.login(to)),
  }
}

export interface TenantFixture {
  tenant: TestTenant
  auth0: Auth0Handlers
  /** Refresh-token grants the tenant has answered so far. */
  refreshes(): number
  logIn(app: App, loginPath?: string): Promise<UserAgent>
}

/**
 * authcode/testing's stand-in Auth0 tenant (createAuth0Handlers) with the env values
 * AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_AUDIENCE, APP_URL and AUTH_SECRET.
 */
export async function auth0Tenant(options: Auth0HandlersOptions = {}): Promise<TenantFixture> {
  const tenant = await createTestTenant({ domain: 'my-tenant.eu.auth0.example', clientId: 'docs-client-id' })
  const auth0 = createAuth0Handlers(tenant, { clientSecret: 'docs-client-secret-0123456789', callbackUrls: [`${APP_URL}/auth/callback`], ...options })
  server.use(...auth0.handlers)
  setEnv({
    APP_URL,
    AUTH_SECRET: 'docs-session-secret-0123456789abcdefghij',
    AUTH0_DOMAIN: tenant.domain,
    AUTH0_CLIENT_ID: tenant.clientId,
    AUTH0_CLIENT_SECRET: 'docs-client-secret-0123456789',
    AUTH0_AUDIENCE: options.audience ?? 'https://api.example.com',
  })
  return {
    tenant,
    auth0,
    refreshes: () => auth0.requests.filter((r) => r.grantType === 'refresh_token').length,
    logIn: (app, loginPath = '/auth/login') => walkLogin(app, loginPath, async (to) => (await auth0.authorize(to)).href),
  }
}

/**
 * An API at `url` (any origin the guide calls), answered by `handler` through msw; the
 * requests it received are kept in order.
 */
export function serveApi(origin: string, handler: (request: Request) => Response | Promise<Response>): Request[] {
  const received: Request[] = []
  server.use(
    http.all(`${origin}/*`, async ({ request }) => {
      received.push(request.clone())
      return handler(request)
    }),
  )
  return received
}

/** A JSON API that answers 401 unless it gets an Authorization header. */
export function serveContactsApi(origin = 'https://api.example.com'): Request[] {
  return serveApi(origin, (request) => (request.headers.has('authorization') ? HttpResponse.json([{ name: 'Ada' }]) : new HttpResponse(null, { status: 401 })))
}

/**
 * A redis-server on a free port, as REDIS_URL; stopped after the block (close your client in
 * the block's `then` lines). Without redis-server installed, throws (the suite cannot check the guide).
 */
export async function redisServer(): Promise<RedisServer> {
  if (!requireRedisServer('docs')) throw new Error('redis-server is needed to run the Redis blocks of the guides')
  const redis = await startRedisServer()
  cleanups.push(() => redis.stop())
  setEnv({ REDIS_URL: redis.url })
  return redis
}
