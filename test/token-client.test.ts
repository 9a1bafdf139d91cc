import { describe, expect, it } from 'vitest'
import type { JWTPayload } from 'jose'
import {
  ConfigError,
  IdTokenError,
  NetworkError,
  OAuthError,
  ResponseError,
  TokenClient,
  exchangeCode,
  refreshTokens,
  type ClientConfig,
  type ExchangeCodeParams,
} from 'authcode'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  HttpResponse,
  ISSUER,
  REDIRECT_URI,
  type Recorded,
  http,
  onToken,
  server,
  testTenant,
  useMockServer,
} from './helpers/auth0.js'

const log = useMockServer()

const TOKEN_URL = `https://${DOMAIN}/oauth/token`
const CODE = 'SplxlOBeZQQYbYS6WxSbIA'
const VERIFIER = 'dBjftJeZ4CVP-mJ0kNsdBjftJeZ4CVP-mJ0kNsAbCd0'

// --- small helpers --------------------------------------------------------------------------

function configWith(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** The requests sent to one URL (origin + path), in order. */
function requestsTo(url: string): Recorded[] {
  return log.filter((r) => r.url.origin + r.url.pathname === url)
}

/** The only request sent to `url`; fails when there is not exactly one. */
function onlyRequestTo(url: string): Recorded {
  const requests = requestsTo(url)
  expect(requests).toHaveLength(1)
  return requests[0]!
}

/** The form body as a sorted list of [name, value] pairs: shows extra, missing and repeated fields. */
function formEntries(form: URLSearchParams): Array<[string, string]> {
  return [...form.entries()].sort(([a], [b]) => a.localeCompare(b))
}

function sorted(entries: Record<string, string>): Array<[string, string]> {
  return Object.entries(entries).sort(([a], [b]) => a.localeCompare(b))
}

function expectFormRequest(req: Recorded): void {
  expect(req.method).toBe('POST')
  expect(req.headers.get('content-type') ?? '').toMatch(/^application\/x-www-form-urlencoded/)
}

/** Awaits a rejection and checks its class; returns the error for further checks. */
async function rejection<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const outcome = await promise.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`expected a ${type.name}, but the call resolved`)
  expect(outcome.error).toBeInstanceOf(type)
  return outcome.error as E
}

/** A token endpoint answer with an ID token carrying `claims` (over the tenant's defaults). */
async function answerWithIdToken(claims: JWTPayload): Promise<void> {
  const tenant = await testTenant()
  const idToken = await tenant.signIdToken(claims)
  onToken(() => HttpResponse.json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 86400, id_token: idToken }))
}

function codeParams(extra: Partial<ExchangeCodeParams> = {}): ExchangeCodeParams {
  return { code: CODE, redirectUri: REDIRECT_URI, ...extra }
}

// A generic OIDC provider found through discovery.
const IDP = 'https://idp.example.com'
const IDP_ISSUER = `${IDP}/`
const IDP_DISCOVERY = `${IDP}/.well-known/openid-configuration`
const IDP_TOKEN = `${IDP}/oauth2/v1/token`

function idpMetadata(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: IDP_ISSUER,
    authorization_endpoint: `${IDP}/oauth2/v1/authorize`,
    token_endpoint: IDP_TOKEN,
    userinfo_endpoint: `${IDP}/oauth2/v1/userinfo`,
    revocation_endpoint: `${IDP}/oauth2/v1/revoke`,
    jwks_uri: `${IDP}/oauth2/v1/keys`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...extra,
  }
}

/** Serves discovery (optionally failing first with the given statuses) and the token endpoint of IDP. */
async function useIdp(p: { metadata?: Record<string, unknown>; failFirst?: number[] } = {}): Promise<void> {
  const tenant = await testTenant()
  const failures = [...(p.failFirst ?? [])]
  server.use(
    http.get(IDP_DISCOVERY, () => {
      const status = failures.shift()
      if (status !== undefined) return new HttpResponse('discovery unavailable', { status })
      return HttpResponse.json(idpMetadata(p.metadata))
    }),
    http.post(IDP_TOKEN, async () =>
      HttpResponse.json({
        access_token: 'idp-at',
        token_type: 'Bearer',
        expires_in: 3600,
        id_token: await tenant.signIdToken({ iss: IDP_ISSUER }),
      }),
    ),
  )
}

function idpConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { issuer: IDP_ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra }
}

// --- 1. authorization code exchange, client_secret_post ------------------------------------

describe('exchangeCode with the default client_secret_post', () => {
  it('POSTs the code, redirect_uri, verifier and client credentials as a form to /oauth/token', async () => {
    const tenant = await testTenant()
    onToken(async () => HttpResponse.json(await tenant.tokenResponse({ nonce: 'n-0S6_WzA2Mj' })))

    await new TokenClient(configWith()).exchangeCode(codeParams({ codeVerifier: VERIFIER, nonce: 'n-0S6_WzA2Mj' }))

    const req = onlyRequestTo(TOKEN_URL)
    expectFormRequest(req)
    expect(req.url.href).toBe(TOKEN_URL)
    expect(req.headers.get('authorization')).toBeNull()
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: CODE,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      }),
    )
  })

  it('sends no code_verifier when none is given', async () => {
    const tenant = await testTenant()
    onToken(async () => HttpResponse.json(await tenant.tokenResponse()))

    await new TokenClient(configWith()).exchangeCode(codeParams())

    const req = onlyRequestTo(TOKEN_URL)
    expect(req.form.has('code_verifier')).toBe(false)
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: CODE,
        redirect_uri: REDIRECT_URI,
      }),
    )
  })

  it('maps the token response to a camelCase TokenSet with the validated ID token claims', async () => {
    const tenant = await testTenant()
    const body = await tenant.tokenResponse({ nonce: 'nonce-123', scope: 'openid profile offline_access', expiresIn: 86400 })
    onToken(() => HttpResponse.json(body))

    const before = nowSeconds()
    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams({ codeVerifier: VERIFIER, nonce: 'nonce-123' }))
    const after = nowSeconds()

    expect(tokens.accessToken).toBe(body.access_token)
    expect(tokens.refreshToken).toBe(body.refresh_token)
    expect(tokens.idToken).toBe(body.id_token)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope).toBe('openid profile offline_access')
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 86400)
    expect(tokens.expiresAt).toBeLessThanOrEqual(after + 86400)
    expect(tokens.claims).toMatchObject({ iss: ISSUER, aud: CLIENT_ID, sub: 'auth0|test-user', nonce: 'nonce-123' })
    expect(Object.keys(tokens).sort()).toEqual(['accessToken', 'claims', 'expiresAt', 'idToken', 'refreshToken', 'scope', 'tokenType'])
  })

  it('accepts the minimal Auth0 reply with no expires_in and no scope', async () => {
    const tenant = await testTenant()
    const idToken = await tenant.signIdToken({ name: 'Jane Doe' })
    onToken(() =>
      HttpResponse.json({ access_token: 'eyJz93a...k4laUWw', refresh_token: 'GEbRxBN...edjnXbL', id_token: idToken, token_type: 'Bearer' }),
    )

    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams())

    expect(tokens).toStrictEqual({
      accessToken: 'eyJz93a...k4laUWw',
      refreshToken: 'GEbRxBN...edjnXbL',
      idToken,
      tokenType: 'Bearer',
      claims: expect.objectContaining({ sub: 'auth0|test-user', name: 'Jane Doe', aud: CLIENT_ID }),
    })
    expect('expiresAt' in tokens).toBe(false)
    expect('scope' in tokens).toBe(false)
  })

  it('turns invalid_grant into an OAuthError whose message and JSON hold neither the code nor the secret', async () => {
    onToken(() =>
      HttpResponse.json({ error: 'invalid_grant', error_description: `Invalid authorization code ${CODE}` }, { status: 403 }),
    )

    const err = await rejection(new TokenClient(configWith()).exchangeCode(codeParams({ codeVerifier: VERIFIER })), OAuthError)

    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(403)
    for (const text of [err.message, String(err), JSON.stringify(err)]) {
      expect(text).not.toContain(CODE)
      expect(text).not.toContain(CLIENT_SECRET)
      expect(text).not.toContain(VERIFIER)
    }
    expect(requestsTo(TOKEN_URL)).toHaveLength(1)
  })

  it('normalizes a lower-case token_type to "Bearer"', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-lower', token_type: 'bearer' }))
    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams())
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.claims).toBeUndefined()
  })
})

// --- 2. other client authentication methods ------------------------------------------------

describe('exchangeCode with other client authentication methods', () => {
  it('client_secret_basic sends Basic base64(urlencode(id):urlencode(secret)) and no secret in the body', async () => {
    const clientId = 'my client:id'
    const clientSecret = 'p@ss:w/rd+ x~'
    onToken(() => HttpResponse.json({ access_token: 'at-basic', token_type: 'Bearer', expires_in: 60 }))

    await new TokenClient(configWith({ clientId, clientSecret, clientAuth: 'client_secret_basic' })).exchangeCode(
      codeParams({ codeVerifier: VERIFIER }),
    )

    const req = onlyRequestTo(TOKEN_URL)
    expectFormRequest(req)
    // RFC 6749 §2.3.1: both parts form-urlencoded before base64 (space -> "+", ":" -> "%3A", ...).
    expect(req.headers.get('authorization')).toBe(`Basic ${btoa('my+client%3Aid:p%40ss%3Aw%2Frd%2B+x%7E')}`)
    expect(req.form.has('client_secret')).toBe(false)
    expect(req.form.get('grant_type')).toBe('authorization_code')
    expect(req.form.get('code')).toBe(CODE)
    expect(req.form.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(req.form.get('code_verifier')).toBe(VERIFIER)
  })

  it('a wrong Basic secret answered with a bare Basic challenge keeps the JSON body\'s error and description', async () => {
    onToken(() =>
      HttpResponse.json(
        { error: 'invalid_client', error_description: 'Unknown client or wrong client secret' },
        { status: 401, headers: { 'www-authenticate': 'Basic realm="tenant"' } },
      ),
    )
    const err = await new TokenClient(configWith({ clientAuth: 'client_secret_basic' }))
      .exchangeCode(codeParams({ codeVerifier: VERIFIER }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthError)
    expect((err as OAuthError).status).toBe(401)
    expect((err as OAuthError).error).toBe('invalid_client')
    expect((err as OAuthError).errorDescription).toBe('Unknown client or wrong client secret')
  })

  it('a public client (none) sends client_id and the verifier, and no secret in body or header', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-public', token_type: 'Bearer' }))

    await new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'none' }).exchangeCode(codeParams({ codeVerifier: VERIFIER }))

    const req = onlyRequestTo(TOKEN_URL)
    expectFormRequest(req)
    expect(req.headers.get('authorization')).toBeNull()
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        code: CODE,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      }),
    )
  })

  it('a client without a secret is public by default', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-public', token_type: 'Bearer' }))
    await new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID }).exchangeCode(codeParams({ codeVerifier: VERIFIER }))
    const req = onlyRequestTo(TOKEN_URL)
    expect(req.form.get('client_id')).toBe(CLIENT_ID)
    expect(req.form.has('client_secret')).toBe(false)
  })

  it('a public client without a code verifier fails with ConfigError before sending anything', async () => {
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'none' })
    const err = await rejection(client.exchangeCode(codeParams()), ConfigError)
    expect(err.field).toBe('codeVerifier')
    expect(log).toHaveLength(0)
  })
})

// --- 3. ID token claim checks --------------------------------------------------------------

describe('exchangeCode checks the ID token claims', () => {
  const otherApi = 'https://api.example.com/'
  const rejected: Array<{ name: string; claims: () => JWTPayload; params: Partial<ExchangeCodeParams> }> = [
    { name: 'a nonce other than the one sent', claims: () => ({ nonce: 'someone-elses-nonce' }), params: { nonce: 'expected-nonce' } },
    { name: 'no nonce when one was sent', claims: () => ({}), params: { nonce: 'expected-nonce' } },
    { name: 'another issuer', claims: () => ({ iss: 'https://evil.example.com/' }), params: {} },
    { name: 'another audience', claims: () => ({ aud: 'another-client-id' }), params: {} },
    { name: 'an exp in the past', claims: () => ({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }), params: {} },
    { name: 'an extra audience and no azp', claims: () => ({ aud: [CLIENT_ID, otherApi] }), params: {} },
    { name: 'an extra audience and azp of another client', claims: () => ({ aud: [CLIENT_ID, otherApi], azp: 'another-client-id' }), params: {} },
    { name: 'an auth_time older than max_age', claims: () => ({ auth_time: nowSeconds() - 3600 }), params: { maxAge: 300 } },
    { name: 'no auth_time when max_age was sent', claims: () => ({}), params: { maxAge: 300 } },
    { name: 'another org_id than the organization ID asked for', claims: () => ({ org_id: 'org_xyz' }), params: { organization: 'org_abc' } },
    { name: 'no org_id when an organization ID was asked for', claims: () => ({}), params: { organization: 'org_abc' } },
    { name: 'another org_name than the organization name asked for', claims: () => ({ org_name: 'globex' }), params: { organization: 'Acme' } },
    { name: 'no org_name when an organization name was asked for', claims: () => ({ org_id: 'org_abc' }), params: { organization: 'Acme' } },
  ]

  it.each(rejected)('rejects an ID token with $name (IdTokenError)', async ({ claims, params }) => {
    await answerWithIdToken(claims())
    const err = await rejection(new TokenClient(configWith()).exchangeCode(codeParams(params)), IdTokenError)
    expect(err.code).toBe('ERR_ID_TOKEN')
    expect(requestsTo(TOKEN_URL)).toHaveLength(1)
  })

  it.each([
    { asked: 'a nonce', params: { nonce: 'expected-nonce' } },
    { asked: 'an organization', params: { organization: 'org_abc' } },
  ])('rejects a reply without any ID token when $asked was sent (IdTokenError)', async ({ params }) => {
    onToken(() => HttpResponse.json({ access_token: 'at', token_type: 'Bearer' }))
    await rejection(new TokenClient(configWith()).exchangeCode(codeParams(params)), IdTokenError)
  })

  const accepted: Array<{ name: string; claims: () => JWTPayload; params: Partial<ExchangeCodeParams> }> = [
    { name: 'the nonce that was sent', claims: () => ({ nonce: 'expected-nonce' }), params: { nonce: 'expected-nonce' } },
    { name: 'an extra audience and azp of this client', claims: () => ({ aud: [CLIENT_ID, otherApi], azp: CLIENT_ID }), params: {} },
    { name: 'an auth_time within max_age', claims: () => ({ auth_time: nowSeconds() - 60 }), params: { maxAge: 300 } },
    { name: 'the org_id asked for', claims: () => ({ org_id: 'org_abc' }), params: { organization: 'org_abc' } },
    { name: 'the lower-cased org_name of the organization name asked for', claims: () => ({ org_name: 'acme' }), params: { organization: 'Acme' } },
  ]

  it.each(accepted)('accepts an ID token with $name', async ({ claims, params }) => {
    const expected = claims()
    await answerWithIdToken(expected)
    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams(params))
    expect(tokens.claims).toMatchObject(expected)
  })
})

// --- 4. refresh ----------------------------------------------------------------------------

describe('refresh', () => {
  it('POSTs grant_type=refresh_token with client credentials and the refresh token', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer', expires_in: 86400 }))

    await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })

    const req = onlyRequestTo(TOKEN_URL)
    expectFormRequest(req)
    expect(req.headers.get('authorization')).toBeNull()
    expect(formEntries(req.form)).toEqual(
      sorted({ grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: 'rt-old' }),
    )
  })

  it.each([
    { given: 'a string', scope: 'openid  read:contacts' },
    { given: 'an array', scope: ['openid', 'read:contacts'] },
  ])('sends a narrower scope given as $given space-separated', async ({ scope }) => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer' }))
    await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old', scope })
    expect(onlyRequestTo(TOKEN_URL).form.getAll('scope')).toEqual(['openid read:contacts'])
  })

  it('keeps the refresh token that was used when the reply has none (no rotation)', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer', expires_in: 86400 }))
    const tokens = await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })
    expect(tokens.accessToken).toBe('at-2')
    expect(tokens.refreshToken).toBe('rt-old')
  })

  it('returns the rotated refresh token when the reply has a new one', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer', refresh_token: 'rt-new' }))
    const tokens = await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })
    expect(tokens.refreshToken).toBe('rt-new')
  })

  it("accepts Auth0's refresh reply (access_token, expires_in, scope, id_token, token_type)", async () => {
    const tenant = await testTenant()
    const idToken = await tenant.signIdToken()
    onToken(() =>
      HttpResponse.json({ access_token: 'eyJ...MoQ', expires_in: 86400, scope: 'openid offline_access', id_token: idToken, token_type: 'Bearer' }),
    )

    const before = nowSeconds()
    const tokens = await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })
    const after = nowSeconds()

    expect(tokens).toMatchObject({
      accessToken: 'eyJ...MoQ',
      tokenType: 'Bearer',
      scope: 'openid offline_access',
      idToken,
      refreshToken: 'rt-old',
      claims: { iss: ISSUER, aud: CLIENT_ID, sub: 'auth0|test-user' },
    })
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 86400)
    expect(tokens.expiresAt).toBeLessThanOrEqual(after + 86400)
  })

  it('rejects a refreshed ID token for another audience (IdTokenError)', async () => {
    await answerWithIdToken({ aud: 'another-client-id' })
    await rejection(new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' }), IdTokenError)
  })

  it('turns invalid_grant into an OAuthError carrying error and status', async () => {
    onToken(() => HttpResponse.json({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }, { status: 403 }))
    const err = await rejection(new TokenClient(configWith()).refresh({ refreshToken: 'rt-dead' }), OAuthError)
    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(403)
    expect(err.message).not.toContain('rt-dead')
  })
})

// --- 5. client credentials -----------------------------------------------------------------

describe('clientCredentials', () => {
  it('sends grant_type=client_credentials with the config audience', async () => {
    onToken(() => HttpResponse.json({ access_token: 'm2m-at', token_type: 'Bearer', expires_in: 86400, scope: 'read:contacts' }))

    const tokens = await new TokenClient(configWith({ audience: 'https://api.example.com' })).clientCredentials()

    const req = onlyRequestTo(TOKEN_URL)
    expectFormRequest(req)
    expect(formEntries(req.form)).toEqual(
      sorted({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, audience: 'https://api.example.com' }),
    )
    expect(tokens).toMatchObject({ accessToken: 'm2m-at', tokenType: 'Bearer', scope: 'read:contacts' })
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.claims).toBeUndefined()
  })

  it('prefers the audience parameter and sends the scope space-separated', async () => {
    onToken(() => HttpResponse.json({ access_token: 'm2m-at', token_type: 'Bearer' }))

    await new TokenClient(configWith({ audience: 'https://api.example.com' })).clientCredentials({
      audience: 'https://billing.example.com',
      scope: ['read:invoices', 'write:invoices'],
    })

    const req = onlyRequestTo(TOKEN_URL)
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        audience: 'https://billing.example.com',
        scope: 'read:invoices write:invoices',
      }),
    )
  })

  it('refuses a public client with ConfigError and sends nothing', async () => {
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'none' })
    const err = await rejection(client.clientCredentials({ audience: 'https://api.example.com' }), ConfigError)
    expect(err.field).toBe('clientAuth')
    expect(log).toHaveLength(0)
  })
})

// --- 6. revoke and userinfo ----------------------------------------------------------------

describe('revoke and userinfo', () => {
  it('revoke POSTs the token with token_type_hint=refresh_token and client auth; an empty 200 resolves', async () => {
    server.use(http.post(`https://${DOMAIN}/oauth/revoke`, () => new HttpResponse(null, { status: 200 })))

    await expect(new TokenClient(configWith()).revoke('rt-to-revoke')).resolves.toBeUndefined()

    const req = onlyRequestTo(`https://${DOMAIN}/oauth/revoke`)
    expectFormRequest(req)
    expect(formEntries(req.form)).toEqual(
      sorted({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: 'rt-to-revoke', token_type_hint: 'refresh_token' }),
    )
  })

  it('revoke with client_secret_basic authenticates in the header', async () => {
    server.use(http.post(`https://${DOMAIN}/oauth/revoke`, () => new HttpResponse(null, { status: 200 })))
    await new TokenClient(configWith({ clientAuth: 'client_secret_basic' })).revoke('rt-to-revoke')
    const req = onlyRequestTo(`https://${DOMAIN}/oauth/revoke`)
    expect(req.headers.get('authorization')).toBe(`Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET.replaceAll('-', '%2D')}`)}`)
    expect(req.form.has('client_secret')).toBe(false)
    expect(req.form.get('token')).toBe('rt-to-revoke')
  })

  it('userinfo GETs /userinfo with the Bearer token and returns the profile JSON', async () => {
    const profile = { sub: 'auth0|test-user', name: 'Jane Doe', email: 'jane@example.com', email_verified: true }
    server.use(http.get(`https://${DOMAIN}/userinfo`, () => HttpResponse.json(profile)))

    const info = await new TokenClient(configWith()).userinfo('at-for-userinfo')

    const req = onlyRequestTo(`https://${DOMAIN}/userinfo`)
    expect(req.method).toBe('GET')
    expect(req.headers.get('authorization')).toBe('Bearer at-for-userinfo')
    expect(info).toEqual(profile)
  })
})

// --- 7. issuer + discovery -----------------------------------------------------------------

describe('an issuer instead of a domain (OIDC discovery)', () => {
  it('discovers the endpoints once for several calls on one client', async () => {
    await useIdp()
    const client = new TokenClient(idpConfig())

    const first = await client.exchangeCode(codeParams())
    const second = await client.refresh({ refreshToken: 'rt-idp' })

    expect(requestsTo(IDP_DISCOVERY)).toHaveLength(1)
    expect(requestsTo(IDP_DISCOVERY)[0]?.method).toBe('GET')
    const tokenRequests = requestsTo(IDP_TOKEN)
    expect(tokenRequests.map((r) => r.form.get('grant_type'))).toEqual(['authorization_code', 'refresh_token'])
    expect(first.claims?.iss).toBe(IDP_ISSUER)
    expect(second.accessToken).toBe('idp-at')
    expect(log.some((r) => r.url.host === DOMAIN)).toBe(false)
  })

  it('shares one discovery between concurrent calls', async () => {
    await useIdp()
    const client = new TokenClient(idpConfig())
    await Promise.all([client.refresh({ refreshToken: 'rt-a' }), client.refresh({ refreshToken: 'rt-b' })])
    expect(requestsTo(IDP_DISCOVERY)).toHaveLength(1)
    expect(requestsTo(IDP_TOKEN)).toHaveLength(2)
  })

  it('tries a failed discovery again on the next call', async () => {
    await useIdp({ failFirst: [500] })
    const client = new TokenClient(idpConfig())

    const err = await rejection(client.exchangeCode(codeParams()), ResponseError)
    expect(err.status).toBe(500)
    expect(requestsTo(IDP_DISCOVERY)).toHaveLength(1)
    expect(requestsTo(IDP_TOKEN)).toHaveLength(0)

    const tokens = await client.exchangeCode(codeParams())
    expect(tokens.accessToken).toBe('idp-at')
    expect(requestsTo(IDP_DISCOVERY)).toHaveLength(2)
    expect(requestsTo(IDP_TOKEN)).toHaveLength(1)
  })

  it('exchanges a code with a provider that advertises authorization_response_iss_parameter_supported', async () => {
    await useIdp({ metadata: { authorization_response_iss_parameter_supported: true } })

    const tokens = await new TokenClient(idpConfig()).exchangeCode(codeParams({ codeVerifier: VERIFIER }))

    expect(tokens.accessToken).toBe('idp-at')
    const req = onlyRequestTo(IDP_TOKEN)
    // iss belongs to the callback check, not to the token request.
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: CODE,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      }),
    )
  })
})

// --- 8. plain functions --------------------------------------------------------------------

describe('the plain exchangeCode and refreshTokens functions', () => {
  it('exchange and refresh like a TokenClient, sharing one client (one discovery) per config object', async () => {
    await useIdp()
    const config = idpConfig()

    const tokens = await exchangeCode(config, codeParams({ codeVerifier: VERIFIER }))
    const fresh = await refreshTokens(config, { refreshToken: 'rt-plain' })
    await refreshTokens(config, { refreshToken: 'rt-plain-2' })

    expect(tokens.claims?.iss).toBe(IDP_ISSUER)
    expect(fresh.refreshToken).toBe('rt-plain')
    expect(requestsTo(IDP_DISCOVERY)).toHaveLength(1)
    const tokenRequests = requestsTo(IDP_TOKEN)
    expect(tokenRequests.map((r) => r.form.get('grant_type'))).toEqual(['authorization_code', 'refresh_token', 'refresh_token'])
    expect(tokenRequests[0]?.form.get('code')).toBe(CODE)
    expect(tokenRequests[0]?.form.get('code_verifier')).toBe(VERIFIER)
    expect(tokenRequests[2]?.form.get('refresh_token')).toBe('rt-plain-2')
  })

  it('make a separate client for another config object', async () => {
    await useIdp()
    await refreshTokens(idpConfig(), { refreshToken: 'rt-1' })
    await refreshTokens(idpConfig(), { refreshToken: 'rt-2' })
    expect(requestsTo(IDP_DISCOVERY)).toHaveLength(2)
  })

  it('work with an Auth0 domain config', async () => {
    const tenant = await testTenant()
    onToken(async () => HttpResponse.json(await tenant.tokenResponse({ nonce: 'n-plain' })))
    const tokens = await exchangeCode(configWith(), codeParams({ nonce: 'n-plain' }))
    expect(tokens.claims?.nonce).toBe('n-plain')
    expect(onlyRequestTo(TOKEN_URL).form.get('client_secret')).toBe(CLIENT_SECRET)
  })
})

// --- 9. retries ----------------------------------------------------------------------------

describe('retry rules at the token endpoint', () => {
  const fast = { retries: 2, maxRetryDelayMs: 50 } as const

  it('retries a 503 with Retry-After: 0 and succeeds on the second request', async () => {
    const tenant = await testTenant()
    let calls = 0
    onToken(async () => {
      calls++
      if (calls === 1) return new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '0' } })
      return HttpResponse.json(await tenant.tokenResponse())
    })

    const tokens = await new TokenClient(configWith(fast)).exchangeCode(codeParams({ codeVerifier: VERIFIER }))

    expect(tokens.tokenType).toBe('Bearer')
    const requests = requestsTo(TOKEN_URL)
    expect(requests).toHaveLength(2)
    // The retry is the same request.
    expect(formEntries(requests[1]!.form)).toEqual(formEntries(requests[0]!.form))
  })

  it('gives up after retries + 1 requests on repeated 429 and reports status 429', async () => {
    onToken(() =>
      HttpResponse.json(
        { error: 'too_many_requests', error_description: 'Global limit has been reached' },
        { status: 429, headers: { 'retry-after': '0' } },
      ),
    )

    const err = await rejection(new TokenClient(configWith(fast)).refresh({ refreshToken: 'rt-429' }), OAuthError)

    expect(err.status).toBe(429)
    expect(err.error).toBe('too_many_requests')
    expect(err.retryAfter).toBe(0)
    expect(requestsTo(TOKEN_URL)).toHaveLength(3)
  })

  it('does not retry a 500, even one with Retry-After: 0', async () => {
    onToken(() => new HttpResponse('Internal Server Error', { status: 500, headers: { 'retry-after': '0' } }))

    const err = await rejection(new TokenClient(configWith(fast)).exchangeCode(codeParams()), ResponseError)

    expect(err.status).toBe(500)
    expect(requestsTo(TOKEN_URL)).toHaveLength(1)
  })

  it('does not retry a code exchange whose connection dropped after sending, and throws NetworkError', async () => {
    onToken(() => HttpResponse.error())

    const err = await rejection(new TokenClient(configWith(fast)).exchangeCode(codeParams({ codeVerifier: VERIFIER })), NetworkError)

    expect(err.code).toBe('ERR_NETWORK')
    expect(err.message).not.toContain(CODE)
    expect(requestsTo(TOKEN_URL)).toHaveLength(1)
  })

  it('does retry an idempotent userinfo GET whose connection dropped', async () => {
    let calls = 0
    server.use(
      http.get(`https://${DOMAIN}/userinfo`, () => {
        calls++
        return calls === 1 ? HttpResponse.error() : HttpResponse.json({ sub: 'auth0|test-user' })
      }),
    )
    const info = await new TokenClient(configWith(fast)).userinfo('at-x')
    expect(info).toEqual({ sub: 'auth0|test-user' })
    expect(requestsTo(`https://${DOMAIN}/userinfo`)).toHaveLength(2)
  })
})
