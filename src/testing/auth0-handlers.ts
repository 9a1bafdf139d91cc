// createAuth0Handlers: a stand-in Auth0 tenant as msw handlers. It sets up the state the
// endpoints share and routes each URL to its endpoint; the endpoints themselves are plain
// Request -> Response functions in *-endpoint.ts, and this is the one file that needs msw.
import { http, type RequestHandler } from 'msw'
import { authorize, authorizeEndpoint, type TestLoginOptions } from './authorize-endpoint.js'
import { discoveryEndpoint, jwksEndpoint } from './discovery-endpoint.js'
import { type Auth0Endpoint, type Auth0Failure, type FailOptions, createFailures } from './failures.js'
import { logoutEndpoint } from './logout-endpoint.js'
import { type Auth0HandlersOptions, resolveOptions } from './options.js'
import { type RefreshTokenStatus, refreshTokenStatus } from './refresh-tokens.js'
import { revokeEndpoint } from './revoke-endpoint.js'
import { type TenantState, tenantUrls } from './state.js'
import type { TestTenant } from './tenant.js'
import { type RecordedTokenRequest, tokenEndpoint } from './token-endpoint.js'
import { userinfoEndpoint } from './userinfo-endpoint.js'

/**
 * A stand-in Auth0 tenant made by {@link createAuth0Handlers}.
 *
 * @example
 * ```ts
 * const auth0: Auth0Handlers = createAuth0Handlers(tenant, { clientSecret })
 * server.use(...auth0.handlers)
 * const callback = await auth0.authorize(url)
 * ```
 */
export interface Auth0Handlers {
  /** The msw handlers: give them to `setupServer(...)`, `setupWorker(...)` or `server.use(...)`. */
  readonly handlers: RequestHandler[]
  /**
   * Logs a user in at `/authorize` the way Auth0 would after the login page, and returns the
   * callback URL Auth0 would redirect to: `redirect_uri` with `code`, `state` and `iss` (or
   * `error`, `error_description`, `state` and `iss`). The code remembers the request's
   * client_id, redirect_uri, code_challenge, nonce, scope, audience and organization.
   * Throws (as Auth0 shows an error page instead of redirecting) for another tenant's URL, an
   * unknown client_id or a redirect_uri that is missing or not allowed.
   */
  authorize(authorizeUrl: URL | string, p?: TestLoginOptions): Promise<URL>
  /**
   * Makes the tenant fail (see {@link Auth0Failure}) until `reset()`, for `times` requests,
   * or until the returned function is called. Failures apply in the order they were added;
   * the first that matches a request answers it.
   */
  fail(kind: Auth0Failure, options?: FailOptions): () => void
  /** Every token-endpoint request so far (cleared by `reset()`). */
  readonly requests: RecordedTokenRequest[]
  /** Whether a refresh token works, was rotated away, was revoked, or was never issued. */
  refreshTokenStatus(refreshToken: string): RefreshTokenStatus
  /** Forgets codes, tokens, failures and requests; call it between tests. */
  reset(): void
}

/**
 * Makes msw handlers that act as an Auth0 tenant for `tenant` (from {@link "authcode/testing"!createTestTenant}):
 * discovery and JWKS; `/authorize`; `/oauth/token` for the authorization code grant (client
 * authentication, single-use codes, `redirect_uri` match, PKCE), the refresh token grant
 * (rotation and reuse detection) and client credentials; `/userinfo`; `/oauth/revoke`; and
 * `/v2/logout`. Tokens are real JWTs signed with the tenant's key, shaped as Auth0 shapes
 * them; errors are Auth0's JSON with Auth0's statuses. `fail()` makes it misbehave.
 *
 * Uses `http` from `msw` (an optional peer dependency of authcode: install `msw` to use it).
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
 * import { createAuthorizationRequest, exchangeCode, validateCallback } from 'authcode'
 * import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'
 *
 * const tenant = await createTestTenant({ domain: 'my-tenant.auth0.example', clientId: 'my-app' })
 * const auth0 = createAuth0Handlers(tenant, { clientSecret: 'shh' })
 * const server = setupServer(...auth0.handlers)
 * beforeAll(() => server.listen())
 * afterEach(() => auth0.reset())
 * afterAll(() => server.close())
 *
 * test('a user logs in', async () => {
 *   const config = { domain: tenant.domain, clientId: tenant.clientId, clientSecret: 'shh' }
 *   const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: 'https://app.example.com/callback' })
 *   const { code } = validateCallback(await auth0.authorize(url, { user: { name: 'Jane' } }), transaction)
 *   expect((await exchangeCode(config, { code, ...transaction })).claims?.name).toBe('Jane')
 * })
 * ```
 */
export function createAuth0Handlers(tenant: TestTenant, options: Auth0HandlersOptions = {}): Auth0Handlers {
  const state: TenantState = {
    tenant,
    settings: resolveOptions(options),
    urls: tenantUrls(tenant.issuer),
    codes: new Map(),
    refreshTokens: new Map(),
    accessTokens: new Map(),
  }
  const { urls } = state
  const failures = createFailures()
  const requests: RecordedTokenRequest[] = []

  // An endpoint that answers through fail()'s switches for it.
  const failing = (where: Auth0Endpoint, respond: (request: Request) => Response | Promise<Response>) =>
    ({ request }: { request: Request }) => failures.answer(where, undefined, request.signal, async () => respond(request))

  const handlers: RequestHandler[] = [
    http.get(urls.discovery, failing('discovery', () => discoveryEndpoint(state))),
    http.get(urls.jwks, failing('jwks', () => jwksEndpoint(state))),
    http.get(urls.authorize, ({ request }) => authorizeEndpoint(state, request)),
    http.post(urls.token, ({ request }) => tokenEndpoint(state, failures, requests, request)),
    http.get(urls.userinfo, failing('userinfo', (request) => userinfoEndpoint(state, request))),
    http.post(urls.userinfo, failing('userinfo', (request) => userinfoEndpoint(state, request))),
    http.post(urls.revoke, failing('revoke', (request) => revokeEndpoint(state, request))),
    http.get(urls.logout, ({ request }) => logoutEndpoint(request, 'returnTo')),
    http.get(urls.oidcLogout, ({ request }) => logoutEndpoint(request, 'post_logout_redirect_uri')),
  ]

  return {
    handlers,
    authorize: (authorizeUrl, p) => authorize(state, authorizeUrl, p),
    requests,
    fail: (kind, failOptions = {}) => failures.add(kind, failOptions),
    refreshTokenStatus: (refreshToken) => refreshTokenStatus(state, refreshToken),
    reset() {
      state.codes.clear()
      state.refreshTokens.clear()
      state.accessTokens.clear()
      failures.clear()
      requests.length = 0
    },
  }
}
