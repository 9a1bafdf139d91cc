// Test helpers: an msw server standing in for an Auth0 tenant, and a recorder of what the SDK sent.
// useAuth0Handlers() serves authcode/testing's whole tenant on it; onToken() answers one endpoint by hand.
import { http, HttpResponse, type HttpResponseResolver } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { type TestTenant, createTestTenant } from 'authcode/testing'
import { type Auth0Handlers, type Auth0HandlersOptions, createAuth0Handlers } from 'authcode/testing/msw'

export const DOMAIN = 'test-tenant.auth0.example'
export const ISSUER = `https://${DOMAIN}/`
export const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'
export const CLIENT_SECRET = 'super-secret-client-secret-value-123'
export const REDIRECT_URI = 'https://app.example.com/callback'

/** One request the SDK made, with its form body parsed. */
export interface Recorded {
  method: string
  url: URL
  headers: Headers
  form: URLSearchParams
}

/** The msw server, listening for the whole file; unhandled requests fail the test. */
export const server = setupServer()

/** Registers msw lifecycle hooks for a test file and returns the request log. */
export function useMockServer(): Recorded[] {
  const log: Recorded[] = []
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    server.resetHandlers()
    log.length = 0
  })
  afterAll(() => server.close())
  server.events.on('request:start', async ({ request }) => {
    const clone = request.clone()
    const text = request.method === 'GET' ? '' : await clone.text()
    log.push({ method: request.method, url: new URL(request.url), headers: request.headers, form: new URLSearchParams(text) })
  })
  return log
}

let tenantPromise: Promise<TestTenant> | undefined
/** One signing tenant per test file (key generation is slow-ish). */
export function testTenant(): Promise<TestTenant> {
  return (tenantPromise ??= createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID }))
}

/**
 * Serves authcode/testing's stand-in tenant (createAuth0Handlers over testTenant(), with the
 * client secret) on the file's server for every test, fresh each time. Call after
 * useMockServer(); handlers added later with onToken()/server.use() take precedence.
 */
export async function useAuth0Handlers(options: Auth0HandlersOptions = { clientSecret: CLIENT_SECRET }): Promise<Auth0Handlers> {
  const auth0 = createAuth0Handlers(await testTenant(), options)
  beforeEach(() => {
    auth0.reset()
    server.use(...auth0.handlers)
  })
  return auth0
}

/** Answers POST /oauth/token with the resolver. */
export function onToken(resolver: HttpResponseResolver) {
  server.use(http.post(`https://${DOMAIN}/oauth/token`, resolver))
}

export { http, HttpResponse }
