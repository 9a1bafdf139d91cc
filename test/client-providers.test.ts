// The client side against providers whose issuers and responses differ from Auth0's: issuers
// without a trailing slash, discovery that names another issuer, extra token-response fields,
// the discovered logout endpoint, and request objects refused in extraParams.
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type ClientConfig,
  ConfigError,
  TokenClient,
  buildAuthorizeUrl,
  buildLogoutUrl,
  createAuthorizationRequest,
  exchangeCode,
  refreshTokens,
  validateCallback,
} from 'authcode'

const CLIENT_ID = 'client-123'
const CLIENT_SECRET = 'a-client-secret-of-some-length'
const REDIRECT_URI = 'https://app.example.com/callback'

let keys: CryptoKeyPair
beforeAll(async () => {
  keys = await generateKeyPair('RS256')
})

interface Provider {
  /** The discovery document's own spelling of the issuer. */
  issuer: string
  discovery: string
  metadata: Record<string, unknown>
  tokenResponse?: Record<string, unknown>
}

/** A fetch that answers one provider's discovery and token endpoint, and counts requests. */
function standIn(p: Provider): { fetch: typeof fetch; hits: string[] } {
  const hits: string[] = []
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    hits.push(`${request.method} ${request.url}`)
    if (request.url === p.discovery) return Response.json(p.metadata)
    if (request.url === p.metadata.token_endpoint) {
      const form = new URLSearchParams(await request.text())
      const idToken = await new SignJWT({ nonce: form.get('grant_type') === 'authorization_code' ? 'n-1' : undefined })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(p.issuer)
        .setSubject('user-1')
        .setAudience(CLIENT_ID)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(keys.privateKey)
      return Response.json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 300, id_token: idToken, ...p.tokenResponse })
    }
    if (request.url === p.metadata.jwks_uri) return Response.json({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] })
    return new Response('not found', { status: 404 })
  }) as typeof fetch
  return { fetch: fetchFn, hits }
}

function oidc(issuer: string, base: string, extra: Record<string, unknown> = {}): Provider {
  return {
    issuer,
    discovery: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    metadata: {
      issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/keys`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      ...extra,
    },
  }
}

const GOOGLE = oidc('https://accounts.google.com', 'https://oauth2.googleapis.com')
const OKTA = oidc('https://dev-123456.okta.com', 'https://dev-123456.okta.com/oauth2/v1', {
  end_session_endpoint: 'https://dev-123456.okta.com/oauth2/v1/logout',
})

describe('an issuer spelled without a trailing slash (Google, Okta org server)', () => {
  for (const configured of ['https://accounts.google.com', 'https://accounts.google.com/']) {
    it(`reports the issuer as the discovery document spells it, configured as ${configured}`, async () => {
      const { fetch } = standIn(GOOGLE)
      const config: ClientConfig = { issuer: configured, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch }
      const client = new TokenClient(config)
      const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
      expect(url.origin + url.pathname).toBe('https://oauth2.googleapis.com/authorize')
      expect(transaction.issuer).toBe('https://accounts.google.com')

      const tokens = await client.exchangeCode({ code: 'c-1', ...transaction, nonce: 'n-1' })
      expect(tokens.claims?.iss).toBe('https://accounts.google.com')
      expect(client.issuer).toBe('https://accounts.google.com')
    })
  }

  it('checks the callback iss (RFC 9207) against the discovered spelling', async () => {
    const provider = oidc('https://dev-123456.okta.com', 'https://dev-123456.okta.com/oauth2/v1', {
      authorization_response_iss_parameter_supported: true,
    })
    const { fetch } = standIn(provider)
    const config: ClientConfig = { issuer: 'https://dev-123456.okta.com/', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch }
    const { transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const back = `${REDIRECT_URI}?code=c-1&state=${transaction.state}&iss=${encodeURIComponent('https://dev-123456.okta.com')}`
    expect(validateCallback(back, transaction).code).toBe('c-1')
    const slashed = `${REDIRECT_URI}?code=c-1&state=${transaction.state}&iss=${encodeURIComponent('https://dev-123456.okta.com/')}`
    expect(() => validateCallback(slashed, transaction)).toThrow(/mix-up/)
  })
})

describe('a discovery document that names another issuer (Microsoft Entra ID)', () => {
  const TID = '9188040d-6c67-4c5b-b112-36a304b66dad'
  const cases = [
    {
      name: 'the multi-tenant /common document',
      configured: 'https://login.microsoftonline.com/common/v2.0',
      reported: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      fix: 'https://login.microsoftonline.com/<tenant-id>/v2.0',
    },
    {
      name: 'a tenant URL without /v2.0',
      configured: `https://login.microsoftonline.com/${TID}`,
      reported: `https://sts.windows.net/${TID}/`,
      fix: `https://login.microsoftonline.com/${TID}/v2.0`,
    },
  ]
  for (const c of cases) {
    it(`is a ConfigError on issuer naming what to configure: ${c.name}`, async () => {
      const provider = oidc(c.reported, `https://login.microsoftonline.com/${TID}/oauth2/v2.0`)
      provider.discovery = `${c.configured}/.well-known/openid-configuration`
      const { fetch, hits } = standIn(provider)
      const config: ClientConfig = { issuer: c.configured, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch }

      for (const attempt of [
        () => createAuthorizationRequest(config, { redirectUri: REDIRECT_URI }),
        () => exchangeCode(config, { code: 'c-1', redirectUri: REDIRECT_URI }),
        () => refreshTokens(config, { refreshToken: 'rt-1' }),
      ]) {
        const err = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(err).toBeInstanceOf(ConfigError)
        expect((err as ConfigError).field).toBe('issuer')
        expect((err as ConfigError).message).toContain(c.reported)
        expect((err as ConfigError).message).toContain(c.fix)
      }
      // Nothing was sent to the token endpoint of a provider we do not trust.
      expect(hits.every((h) => h.startsWith('GET ') && h.endsWith('/.well-known/openid-configuration'))).toBe(true)
    })
  }
})

describe('extra token-response fields', () => {
  it("keeps Keycloak's refresh_expires_in and session_state, typed, on exchange and refresh", async () => {
    const keycloak = oidc('https://sso.example.com/realms/myrealm', 'https://sso.example.com/realms/myrealm/protocol/openid-connect')
    keycloak.tokenResponse = { refresh_token: 'rt-2', refresh_expires_in: 1800, 'not-before-policy': 0, session_state: 'ss-1', scope: 'openid' }
    const { fetch } = standIn(keycloak)
    const config: ClientConfig = { issuer: keycloak.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch }

    const tokens = await exchangeCode(config, { code: 'c-1', redirectUri: REDIRECT_URI, nonce: 'n-1' })
    const seconds: number | undefined = tokens.extra?.refresh_expires_in
    expect(seconds).toBe(1800)
    expect(tokens.extra).toEqual({ refresh_expires_in: 1800, 'not-before-policy': 0, session_state: 'ss-1' })
    // The named fields stay where they were, not repeated in the bag.
    expect(tokens.refreshToken).toBe('rt-2')
    expect(tokens.scope).toBe('openid')

    const fresh = await refreshTokens(config, { refreshToken: 'rt-2' })
    expect(fresh.extra?.refresh_expires_in).toBe(1800)
  })

  it("keeps Entra's ext_expires_in", async () => {
    const entra = oidc('https://login.microsoftonline.com/t1/v2.0', 'https://login.microsoftonline.com/t1/oauth2/v2.0')
    entra.tokenResponse = { ext_expires_in: 3599 }
    const { fetch } = standIn(entra)
    const tokens = await new TokenClient({ issuer: entra.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch }).refresh({ refreshToken: 'rt' })
    expect(tokens.extra).toEqual({ ext_expires_in: 3599 })
  })

  it('adds no bag when the response has only the standard fields', async () => {
    const { fetch } = standIn(GOOGLE)
    const tokens = await refreshTokens({ issuer: GOOGLE.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch }, { refreshToken: 'rt' })
    expect(tokens).not.toHaveProperty('extra')
  })
})

describe('buildLogoutUrl with a ClientConfig', () => {
  it("uses an issuer's discovered end_session_endpoint", async () => {
    const { fetch, hits } = standIn(OKTA)
    const config: ClientConfig = { issuer: 'https://dev-123456.okta.com', clientId: CLIENT_ID, fetch }
    const url = await buildLogoutUrl(config, { returnTo: 'https://app.example.com/', idTokenHint: 'id.token.here' })
    expect(url.origin + url.pathname).toBe('https://dev-123456.okta.com/oauth2/v1/logout')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT_ID,
      id_token_hint: 'id.token.here',
      post_logout_redirect_uri: 'https://app.example.com/',
    })
    // One discovery, shared with the rest of the config's calls.
    await buildLogoutUrl(config, {})
    expect(hits.filter((h) => h.includes('openid-configuration'))).toHaveLength(1)
  })

  it('gives Auth0 /v2/logout, or /oidc/logout with an ID token hint, for a domain config (no network)', async () => {
    const config: ClientConfig = { domain: 'my-tenant.eu.auth0.com', clientId: CLIENT_ID, fetch: () => Promise.reject(new Error('no network expected')) }
    const v2 = await buildLogoutUrl(config, { returnTo: 'https://app.example.com/' })
    expect(v2.href).toBe(`https://my-tenant.eu.auth0.com/v2/logout?client_id=${CLIENT_ID}&returnTo=https%3A%2F%2Fapp.example.com%2F`)
    const oidcUrl = await buildLogoutUrl(config, { idTokenHint: 'id.token.here' })
    expect(oidcUrl.origin + oidcUrl.pathname).toBe('https://my-tenant.eu.auth0.com/oidc/logout')
  })

  it('is a ConfigError for a provider with no end_session_endpoint (Google)', async () => {
    const { fetch } = standIn(GOOGLE)
    const err = await buildLogoutUrl({ issuer: GOOGLE.issuer, clientId: CLIENT_ID, fetch }, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toContain('end_session_endpoint')
  })

  it('is a ConfigError when an issuer config is given without the second argument', () => {
    const config = { issuer: OKTA.issuer, clientId: CLIENT_ID } as ClientConfig
    expect(() => (buildLogoutUrl as (c: ClientConfig) => unknown)(config)).toThrow(ConfigError)
  })
})

describe('extraParams that would replace the request (RFC 9101)', () => {
  for (const name of ['request', 'request_uri']) {
    it(`refuses ${name}`, async () => {
      const base = { domain: 'my-tenant.eu.auth0.com', clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 's-1' }
      expect(() => buildAuthorizeUrl({ ...base, extraParams: { [name]: 'urn:ietf:params:oauth:request_uri:x' } })).toThrow(
        expect.objectContaining({ field: `extraParams.${name}` }),
      )
      const err = await createAuthorizationRequest(
        { domain: 'my-tenant.eu.auth0.com', clientId: CLIENT_ID },
        { redirectUri: REDIRECT_URI, extraParams: { [name]: 'eyJhbGciOiJub25lIn0.e30.' } },
      ).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
    })
  }
})
