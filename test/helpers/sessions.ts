// Sessions for TokenManager tests: a real login at the stand-in tenant, an expired token set, a storage that records its writes.
import { expect } from 'vitest'
import { MemoryStorage, TokenClient, createAuthorizationRequest, validateCallback, type TokenSet, type TokenStorage } from 'authcode'
import type { Auth0Handlers } from 'authcode/testing/msw'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, REDIRECT_URI } from './auth0.js'
import { now } from './signers.js'

export function client(): TokenClient {
  return new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 0 })
}

export function expired(overrides: Partial<TokenSet> = {}): TokenSet {
  return { accessToken: 'old-access', tokenType: 'Bearer', expiresAt: now() - 10, refreshToken: 'rt-1', ...overrides }
}

/** signIn and refreshRequests for the file's stand-in tenant (from useAuth0Handlers()), which they use unless given another. */
export function tenantSessions(auth0: Auth0Handlers) {
  /**
   * Logs the test user in at the stand-in tenant (authorize -> callback -> code exchange) and
   * returns the tokens, with a refresh token the tenant knows, expired unless overridden.
   */
  async function signIn(overrides: Partial<TokenSet> = {}, tenant: Auth0Handlers = auth0): Promise<TokenSet> {
    const config = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, scope: 'openid offline_access' })
    const { code } = validateCallback(await tenant.authorize(url), transaction)
    const tokens = await client().exchangeCode({ code, ...transaction })
    expect(tokens.refreshToken).toBeTruthy()
    return { ...tokens, expiresAt: now() - 10, ...overrides }
  }

  /** The refresh grants the stand-in tenant received. */
  const refreshRequests = (tenant: Auth0Handlers = auth0) => tenant.requests.filter((r) => r.grantType === 'refresh_token')

  return { signIn, refreshRequests }
}

/** A storage that records the order of operations, over a MemoryStorage. */
export function recordingStorage(events: string[]): TokenStorage & { inner: MemoryStorage } {
  const inner = new MemoryStorage()
  return {
    inner,
    get: (k) => inner.get(k),
    async set(k, v) {
      events.push(`set ${v.accessToken} ${v.refreshToken}`)
      await inner.set(k, v)
    },
    async delete(k) {
      events.push('delete')
      await inner.delete(k)
    },
  }
}
