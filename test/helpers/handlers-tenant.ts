// A stand-in tenant of authcode/testing on an msw server of its own, for the tests of the handlers themselves.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { TokenClient, createAuthorizationRequest, validateCallback, type ClientConfig } from 'authcode'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers, type Auth0Handlers, type TestLoginOptions } from 'authcode/testing/msw'

export const DOMAIN = 'handlers-tenant.auth0.example'
export const CLIENT_ID = 'hNd1eRsCl1eNt1d0000000000000000'
export const SECRET = 'handlers-client-secret-0123456789abcdef'
export const API = 'https://api.example.com'
export const REDIRECT_URI = 'https://app.example.com/callback'
export const FULL_SCOPE = 'openid profile email offline_access'

export const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: SECRET }
export const client = new TokenClient(config)

/**
 * The tenant, its handlers (with the client secret and API as the default audience) and an msw
 * server serving them for the whole file; unhandled requests fail, the handlers reset after each test.
 */
export async function useHandlersTenant() {
  const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
  const auth0 = createAuth0Handlers(tenant, { clientSecret: SECRET, audience: API })
  const server = setupServer(...auth0.handlers)

  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    auth0.reset()
    server.resetHandlers()
  })
  afterAll(() => server.close())
  return { tenant, auth0, server }
}

/** What loginUpToCallback takes: the scope and other request options, and a config with its own handlers. */
export interface LoginOptions {
  scope?: string
  organization?: string
  maxAge?: number
  audience?: string
  cfg?: ClientConfig
  login?: TestLoginOptions
}

/**
 * A login through the handlers: `auth0` answers for the default config, `other()` (the handlers a
 * test made for its own tenant) for a test's own `cfg`.
 */
export function loginSteps(auth0: Auth0Handlers, other: () => Auth0Handlers | undefined) {
  /** createAuthorizationRequest -> authorize() -> validateCallback: the code and its transaction. */
  async function loginUpToCallback(p: LoginOptions = {}) {
    const { url, transaction } = await createAuthorizationRequest(p.cfg ?? config, {
      redirectUri: REDIRECT_URI,
      scope: p.scope ?? FULL_SCOPE,
      ...(p.organization !== undefined && { organization: p.organization }),
      ...(p.maxAge !== undefined && { maxAge: p.maxAge }),
      ...(p.audience !== undefined && { audience: p.audience }),
    })
    const callback = await (p.cfg === undefined ? auth0 : other()!).authorize(url, p.login)
    const { code } = validateCallback(callback, transaction)
    return { code, transaction, callback, url }
  }

  async function login(p: LoginOptions = {}) {
    const { code, transaction } = await loginUpToCallback(p)
    const tokens = await new TokenClient(p.cfg ?? config).exchangeCode({ code, ...transaction })
    return { tokens, transaction, code }
  }

  return { loginUpToCallback, login }
}
