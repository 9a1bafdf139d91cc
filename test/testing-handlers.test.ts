// authcode/testing's msw handlers, driven by the real SDK: the whole flow, and each failure switch.
import { readFileSync } from 'node:fs'
import { generateKeyPair } from 'jose'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthorizationError,
  MemoryStorage,
  buildAuthorizeUrl,
  generateCodeVerifier,
  generateState,
  ConfigError,
  IdTokenError,
  LoginRequiredError,
  OAuthError,
  ResponseError,
  TimeoutError,
  TokenClient,
  TokenManager,
  type ClientConfig,
  createAuthorizationRequest,
  exchangeCode,
  validateCallback,
} from 'authcode'
import { createAccessTokenVerifier } from 'authcode/api'
import { createAuth0Handlers, createTestTenant, type TestLoginOptions } from 'authcode/testing'

const DOMAIN = 'handlers-tenant.auth0.example'
const CLIENT_ID = 'hNd1eRsCl1eNt1d0000000000000000'
const SECRET = 'handlers-client-secret-0123456789abcdef'
const API = 'https://api.example.com'
const REDIRECT_URI = 'https://app.example.com/callback'
const FULL_SCOPE = 'openid profile email offline_access'

const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
const auth0 = createAuth0Handlers(tenant, { clientSecret: SECRET, audience: API })
const server = setupServer(...auth0.handlers)

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  auth0.reset()
  server.resetHandlers()
})
afterAll(() => server.close())

const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: SECRET }
const client = new TokenClient(config)
const now = () => Math.floor(Date.now() / 1000)

/** createAuthorizationRequest -> authorize() -> validateCallback: the code and its transaction. */
async function loginUpToCallback(p: { scope?: string; organization?: string; maxAge?: number; audience?: string; cfg?: ClientConfig; login?: TestLoginOptions } = {}) {
  const { url, transaction } = await createAuthorizationRequest(p.cfg ?? config, {
    redirectUri: REDIRECT_URI,
    scope: p.scope ?? FULL_SCOPE,
    ...(p.organization !== undefined && { organization: p.organization }),
    ...(p.maxAge !== undefined && { maxAge: p.maxAge }),
    ...(p.audience !== undefined && { audience: p.audience }),
  })
  const callback = await (p.cfg === undefined ? auth0 : currentHandlers!).authorize(url, p.login)
  const { code } = validateCallback(callback, transaction)
  return { code, transaction, callback, url }
}
let currentHandlers: ReturnType<typeof createAuth0Handlers> | undefined

async function login(p: Parameters<typeof loginUpToCallback>[0] = {}) {
  const { code, transaction } = await loginUpToCallback(p)
  const tokens = await new TokenClient(p.cfg ?? config).exchangeCode({ code, ...transaction })
  return { tokens, transaction, code }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err,
  )
}

describe('the whole flow against createAuth0Handlers, with the real SDK', () => {
  it('authorize -> callback -> code exchange -> refresh with rotation -> reuse refused -> userinfo -> revoke -> client credentials', async () => {
    // 1. /authorize: the app's URL, the user logs in, Auth0 redirects back.
    const { url, transaction } = await createAuthorizationRequest(config, {
      redirectUri: REDIRECT_URI,
      scope: FULL_SCOPE,
      audience: API,
      organization: 'org_4bXp1Acme',
    })
    const callback = await auth0.authorize(url, {
      user: { sub: 'auth0|jane', name: 'Jane Doe', email: 'jane@example.com', 'https://example.com/roles': ['admin'] },
    })
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('state')).toBe(transaction.state)
    expect(callback.searchParams.get('iss')).toBe(`https://${DOMAIN}/`)
    const { code } = validateCallback(callback, transaction)

    // 2. The code exchange: PKCE, client secret, redirect_uri, nonce, org_id all checked.
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope).toBe(FULL_SCOPE)
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(now() + 86_400 - 5)
    expect(tokens.claims).toMatchObject({
      iss: `https://${DOMAIN}/`,
      aud: CLIENT_ID,
      sub: 'auth0|jane',
      nonce: transaction.nonce,
      org_id: 'org_4bXp1Acme',
      name: 'Jane Doe',
      email: 'jane@example.com',
      email_verified: true,
      'https://example.com/roles': ['admin'],
    })
    expect(typeof tokens.claims?.auth_time).toBe('number')
    expect(tokens.refreshToken).toMatch(/^v1\./)
    const sent = auth0.requests[0]!
    expect(sent.grantType).toBe('authorization_code')
    expect(sent.clientAuth).toBe('client_secret_post')
    expect(sent.form.get('code_verifier')).toBe(transaction.codeVerifier)
    expect(sent.form.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(sent.status).toBe(200)

    // The access token is a real JWT for the API, verifiable against the tenant's JWKS.
    const verify = createAccessTokenVerifier({ domain: DOMAIN, audience: API })
    const at = await verify(tokens.accessToken)
    expect(at).toMatchObject({ sub: 'auth0|jane', scope: FULL_SCOPE, azp: CLIENT_ID, org_id: 'org_4bXp1Acme' })
    expect(at.aud).toEqual([API, `https://${DOMAIN}/userinfo`])

    // 3. Refresh: rotation hands out a new refresh token; the old one is rotated away.
    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).toMatch(/^v1\./)
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    expect(fresh.accessToken).not.toBe(tokens.accessToken)
    expect(fresh.claims?.sub).toBe('auth0|jane')
    expect(fresh.claims?.nonce).toBeUndefined()
    expect(auth0.refreshTokenStatus(tokens.refreshToken!)).toBe('rotated')
    expect(auth0.refreshTokenStatus(fresh.refreshToken!)).toBe('active')

    // 4. Reuse of the rotated-away token is refused, and the whole family dies with it.
    const reuse = await rejection(client.refresh({ refreshToken: tokens.refreshToken! }))
    expect(reuse).toBeInstanceOf(OAuthError)
    expect(reuse).toMatchObject({ error: 'invalid_grant', status: 403, errorDescription: 'Unknown or invalid refresh token.' })
    expect(await rejection(client.refresh({ refreshToken: fresh.refreshToken! }))).toMatchObject({ error: 'invalid_grant' })
    expect(auth0.refreshTokenStatus(fresh.refreshToken!)).toBe('revoked')

    // 5. /userinfo with an access token it issued (still valid: access tokens are not revoked).
    expect(await client.userinfo(fresh.accessToken)).toEqual({
      sub: 'auth0|jane',
      name: 'Jane Doe',
      nickname: 'test.user',
      picture: 'https://s.gravatar.com/avatar/test-user.png',
      updated_at: '2024-01-01T00:00:00.000Z',
      email: 'jane@example.com',
      email_verified: true,
      'https://example.com/roles': ['admin'],
    })

    // 6. Revoke: a new login's refresh token stops working.
    const second = await login()
    await client.revoke(second.tokens.refreshToken!)
    expect(auth0.refreshTokenStatus(second.tokens.refreshToken!)).toBe('revoked')
    expect(await rejection(client.refresh({ refreshToken: second.tokens.refreshToken! }))).toMatchObject({ error: 'invalid_grant', status: 403 })

    // 7. Client credentials: a machine-to-machine token for the API.
    const m2m = await client.clientCredentials({ audience: API, scope: 'read:reports' })
    expect(m2m.refreshToken).toBeUndefined()
    expect(m2m.scope).toBe('read:reports')
    expect(await verify(m2m.accessToken)).toMatchObject({ sub: `${CLIENT_ID}@clients`, gty: 'client-credentials', scope: 'read:reports', aud: API })

    expect(auth0.requests.map((r) => `${r.grantType} ${r.status}`)).toEqual([
      'authorization_code 200',
      'refresh_token 200',
      'refresh_token 403',
      'refresh_token 403',
      'authorization_code 200',
      'refresh_token 403',
      'client_credentials 200',
    ])
  })

  it('uses the default audience, and gives no JWT (only a /userinfo token) without any audience', async () => {
    const { tokens } = await login()
    expect((await createAccessTokenVerifier({ domain: DOMAIN, audience: API })(tokens.accessToken)).aud).toContain(API)

    const bare = createTestTenant({ domain: 'no-audience.auth0.example', clientId: 'bare-client' })
    currentHandlers = createAuth0Handlers(await bare)
    server.use(...currentHandlers.handlers)
    const cfg: ClientConfig = { domain: 'no-audience.auth0.example', clientId: 'bare-client', clientSecret: 'x' }
    const { tokens: opaque } = await login({ cfg })
    expect(opaque.accessToken.split('.')).toHaveLength(1)
    expect((await new TokenClient(cfg).userinfo(opaque.accessToken)).sub).toBe('auth0|test-user')
  })

  it('includes a refresh token only when the scope has offline_access, an ID token only with openid', async () => {
    const { tokens } = await login({ scope: 'openid profile' })
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.claims?.name).toBe('Test User')
    expect(tokens.claims?.email).toBeUndefined() // no "email" scope
    const { code, transaction } = await loginUpToCallback({ scope: 'read:contacts' })
    const noOpenid = await client.exchangeCode({ code, redirectUri: transaction.redirectUri, codeVerifier: transaction.codeVerifier })
    expect(noOpenid.idToken).toBeUndefined()
    expect(noOpenid.claims).toBeUndefined()
  })

  it('supports organizations by name (org_name, lower-cased) and max_age (auth_time)', async () => {
    const { tokens } = await login({ organization: 'Acme', maxAge: 300 })
    expect(tokens.claims).toMatchObject({ org_name: 'acme', org_id: 'org_acme' })
    expect(Math.abs(tokens.claims!.auth_time! - now())).toBeLessThan(5)
  })

  it('refreshes with a narrower scope, and refuses a wider one (invalid_scope)', async () => {
    const { tokens } = await login()
    const narrow = await client.refresh({ refreshToken: tokens.refreshToken!, scope: 'openid offline_access' })
    expect(narrow.scope).toBe('openid offline_access')
    expect(narrow.claims?.name).toBeUndefined()
    const wider = await rejection(client.refresh({ refreshToken: narrow.refreshToken!, scope: 'openid admin:everything' }))
    expect(wider).toMatchObject({ error: 'invalid_scope', status: 403 })
  })

  it('follows a fetch of GET /authorize with a 302 to the callback', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const res = await fetch(url, { redirect: 'manual' })
    expect(res.status).toBe(302)
    const { code } = validateCallback(res.headers.get('location')!, transaction)
    expect((await client.exchangeCode({ code, ...transaction })).claims?.sub).toBe('auth0|test-user')
  })

  it('works through discovery (issuer config) with RFC 9207 iss, on an http://host:port issuer', async () => {
    const local = await createTestTenant({ clientId: 'local-client', issuer: 'http://127.0.0.1:4999/' })
    currentHandlers = createAuth0Handlers(local, { clientSecret: 'local-secret' })
    server.use(...currentHandlers.handlers)
    const cfg: ClientConfig = { issuer: 'http://127.0.0.1:4999/', clientId: 'local-client', clientSecret: 'local-secret', allowInsecureRequests: true }
    const { tokens, transaction } = await login({ cfg })
    expect(transaction.requireIssuer).toBe(true)
    expect(tokens.claims?.iss).toBe('http://127.0.0.1:4999/')
    const fresh = await new TokenClient(cfg).refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.accessToken).not.toBe(tokens.accessToken)
  })
})

describe('what the token endpoint refuses, as Auth0 does', () => {
  it('a code is used once; using it again also revokes the tokens it gave', async () => {
    const { code, transaction } = await loginUpToCallback()
    const tokens = await client.exchangeCode({ code, ...transaction })
    const again = await rejection(client.exchangeCode({ code, ...transaction }))
    expect(again).toBeInstanceOf(OAuthError)
    expect(again).toMatchObject({ error: 'invalid_grant', status: 403, errorDescription: 'Invalid authorization code' })
    expect(auth0.refreshTokenStatus(tokens.refreshToken!)).toBe('revoked')
    expect(await rejection(client.exchangeCode({ ...transaction, code: 'never-issued' }))).toMatchObject({ error: 'invalid_grant' })
  })

  it('a wrong PKCE verifier is refused with invalid_grant (and a missing one)', async () => {
    const { code, transaction } = await loginUpToCallback()
    const wrong = await rejection(client.exchangeCode({ code, ...transaction, codeVerifier: 'x'.repeat(43) }))
    expect(wrong).toBeInstanceOf(OAuthError)
    expect(wrong).toMatchObject({ error: 'invalid_grant', status: 403, errorDescription: 'Failed to verify code verifier' })
    expect(String(wrong)).not.toContain(code)

    const second = await loginUpToCallback()
    const missing = await rejection(client.exchangeCode({ code: second.code, redirectUri: REDIRECT_URI, nonce: second.transaction.nonce! }))
    expect(missing).toMatchObject({ error: 'invalid_grant', status: 403 })
  })

  it('a redirect_uri that is not the one of the authorization request is refused', async () => {
    const { code, transaction } = await loginUpToCallback()
    const err = await rejection(client.exchangeCode({ code, ...transaction, redirectUri: 'https://app.example.com/other' }))
    expect(err).toMatchObject({ error: 'invalid_grant', status: 403 })
  })

  it('a wrong client secret is invalid_client (401), by client_secret_post and by Basic', async () => {
    const { code, transaction } = await loginUpToCallback()
    const wrong = new TokenClient({ ...config, clientSecret: 'not-the-secret' })
    const err = await rejection(wrong.exchangeCode({ code, ...transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 })
    expect(String(err)).not.toContain('not-the-secret')

    const basicWrong = new TokenClient({ ...config, clientSecret: 'not-the-secret', clientAuth: 'client_secret_basic' })
    expect(await rejection(basicWrong.clientCredentials({ audience: API }))).toMatchObject({ error: 'invalid_client', status: 401 })
    const basic = new TokenClient({ ...config, clientAuth: 'client_secret_basic' })
    expect((await basic.clientCredentials({ audience: API })).accessToken).toBeTruthy()
    expect(auth0.requests.map((r) => r.clientAuth)).toEqual(['client_secret_post', 'client_secret_basic', 'client_secret_basic'])
  })

  it('private_key_jwt: an assertion signed by the registered key passes, another key is invalid_client', async () => {
    const registered = await generateKeyPair('RS256')
    const stranger = await generateKeyPair('RS256')
    const pkj = await createTestTenant({ domain: 'pkj.auth0.example', clientId: 'pkj-client' })
    currentHandlers = createAuth0Handlers(pkj, { clientPublicKey: registered.publicKey, audience: API })
    server.use(...currentHandlers.handlers)
    const cfg = (key: CryptoKey): ClientConfig => ({ domain: 'pkj.auth0.example', clientId: 'pkj-client', clientAuth: 'private_key_jwt', privateKey: key })
    expect((await new TokenClient(cfg(registered.privateKey)).clientCredentials()).tokenType).toBe('Bearer')
    expect(currentHandlers.requests[0]?.clientAuth).toBe('private_key_jwt')
    const err = await rejection(new TokenClient(cfg(stranger.privateKey)).clientCredentials())
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 })
  })

  it('client credentials need an audience when the tenant has no default one', async () => {
    const bare = await createTestTenant({ domain: 'm2m.auth0.example', clientId: 'm2m-client' })
    currentHandlers = createAuth0Handlers(bare, { clientSecret: 's' })
    server.use(...currentHandlers.handlers)
    const m2m = new TokenClient({ domain: 'm2m.auth0.example', clientId: 'm2m-client', clientSecret: 's' })
    const err = await rejection(m2m.clientCredentials())
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'access_denied', status: 403 })
    expect((await m2m.clientCredentials({ audience: API })).accessToken.split('.')).toHaveLength(3)
  })

  it('a public client (no secret) must use PKCE; without rotation the refresh token stays', async () => {
    const pub = await createTestTenant({ domain: 'spa.auth0.example', clientId: 'spa-client' })
    currentHandlers = createAuth0Handlers(pub, { refreshTokenRotation: false })
    server.use(...currentHandlers.handlers)
    const cfg: ClientConfig = { domain: 'spa.auth0.example', clientId: 'spa-client' }
    const { tokens } = await login({ cfg })
    expect(currentHandlers.requests[0]?.clientAuth).toBe('none')
    const spa = new TokenClient(cfg)
    const fresh = await spa.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).toBe(tokens.refreshToken) // no rotation: the SDK keeps the one it used
    await spa.refresh({ refreshToken: tokens.refreshToken! })
    expect(currentHandlers.refreshTokenStatus(tokens.refreshToken!)).toBe('active')
    await expect(spa.clientCredentials()).rejects.toBeInstanceOf(ConfigError)

    // Without a code_challenge on the authorization request, a public client's code is refused.
    const state = generateState()
    const noPkce = buildAuthorizeUrl({ domain: 'spa.auth0.example', clientId: 'spa-client', redirectUri: REDIRECT_URI, state, scope: 'openid' })
    const { code } = validateCallback(await currentHandlers.authorize(noPkce), { state })
    expect(await rejection(spa.exchangeCode({ code, redirectUri: REDIRECT_URI, codeVerifier: generateCodeVerifier() }))).toMatchObject({ error: 'invalid_grant' })
  })

  it('Basic authentication decodes form-encoded IDs and secrets (":", "+", "%", spaces, non-ASCII)', async () => {
    const odd = await createTestTenant({ domain: 'odd.auth0.example', clientId: 'odd:id+1' })
    const secret = 'a:b+c d%e/f=g&h~ü'
    currentHandlers = createAuth0Handlers(odd, { clientSecret: secret, audience: API })
    server.use(...currentHandlers.handlers)
    const basic = new TokenClient({ domain: 'odd.auth0.example', clientId: 'odd:id+1', clientSecret: secret, clientAuth: 'client_secret_basic' })
    expect((await basic.clientCredentials()).tokenType).toBe('Bearer')
    expect(currentHandlers.requests[0]).toMatchObject({ clientAuth: 'client_secret_basic', clientId: 'odd:id+1', status: 200 })
  })

  it('/userinfo refuses tokens it did not issue (invalid_token) and M2M tokens', async () => {
    const unknown = await rejection(client.userinfo('not-a-token-it-issued'))
    expect(unknown).toBeInstanceOf(OAuthError)
    expect(unknown).toMatchObject({ error: 'invalid_token', status: 401 })
    const m2m = await client.clientCredentials({ audience: API })
    expect(await rejection(client.userinfo(m2m.accessToken))).toMatchObject({ status: 403 })
  })
})

describe('refresh token rotation meets TokenManager', () => {
  it('one TokenManager refreshes once for 100 concurrent callers, so rotation never sees a reuse', async () => {
    const { tokens } = await login()
    const manager = new TokenManager({ client })
    await manager.save('user-1', { ...tokens, expiresAt: now() - 1 })
    const got = await Promise.all(Array.from({ length: 100 }, () => manager.getAccessToken('user-1')))
    expect(new Set(got).size).toBe(1)
    expect(auth0.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1)
    const stored = await manager.storage.get('user-1')
    expect(auth0.refreshTokenStatus(stored!.refreshToken!)).toBe('active')
    expect(auth0.refreshTokenStatus(tokens.refreshToken!)).toBe('rotated')
  })

  it('reuseIntervalSeconds lets a rotated-away token be used again for a while (Auth0 "Reuse Interval")', async () => {
    const lenient = await createTestTenant({ domain: 'lenient.auth0.example', clientId: 'lenient' })
    currentHandlers = createAuth0Handlers(lenient, { clientSecret: 's', reuseIntervalSeconds: 60 })
    server.use(...currentHandlers.handlers)
    const cfg: ClientConfig = { domain: 'lenient.auth0.example', clientId: 'lenient', clientSecret: 's' }
    const { tokens } = await login({ cfg })
    const c = new TokenClient(cfg)
    const first = await c.refresh({ refreshToken: tokens.refreshToken! })
    const again = await c.refresh({ refreshToken: tokens.refreshToken! })
    expect(again.refreshToken).not.toBe(first.refreshToken)
    expect(currentHandlers.refreshTokenStatus(first.refreshToken!)).toBe('active')

    // It is what saves a session whose refresh timed out after the server had rotated the token.
    const relogin = await login({ cfg })
    const impatient = new TokenManager({ client: new TokenClient({ ...cfg, timeoutMs: 50 }) })
    await impatient.save('user-1', { ...relogin.tokens, expiresAt: now() - 1 })
    currentHandlers.fail({ delayMs: 400, grant: 'refresh_token', times: 1 })
    await expect(impatient.getAccessToken('user-1')).rejects.toBeInstanceOf(TimeoutError)
    expect(await impatient.getAccessToken('user-1')).toBeTruthy()
  })

  it('without a reuse interval, a refresh that timed out after the server rotated the token ends the session', async () => {
    const { tokens } = await login()
    const impatient = new TokenManager({ client: new TokenClient({ ...config, timeoutMs: 50 }) })
    await impatient.save('user-1', { ...tokens, expiresAt: now() - 1 })
    auth0.fail({ delayMs: 400, grant: 'refresh_token', times: 1 })
    await expect(impatient.getAccessToken('user-1')).rejects.toBeInstanceOf(TimeoutError)
    await expect(impatient.getAccessToken('user-1')).rejects.toBeInstanceOf(LoginRequiredError)
    expect(auth0.refreshTokenStatus(tokens.refreshToken!)).toBe('revoked')
  })
})

describe('authorize()', () => {
  it('sends the user back with error=… when asked (AuthorizationError)', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const callback = await auth0.authorize(url, { error: 'access_denied', errorDescription: 'User did not consent' })
    expect(callback.searchParams.get('code')).toBeNull()
    const err = (() => {
      try {
        return validateCallback(callback, transaction)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(AuthorizationError)
    expect(err).toMatchObject({ error: 'access_denied', errorDescription: 'User did not consent' })
  })

  it('throws, as Auth0 shows an error page, for another tenant, an unknown client or a disallowed callback', async () => {
    const { url } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    await expect(auth0.authorize(url.href.replace(DOMAIN, 'other.auth0.example'))).rejects.toThrow(/not this tenant/)
    const other = new URL(url)
    other.searchParams.set('client_id', 'someone-else')
    await expect(auth0.authorize(other)).rejects.toThrow(/unknown client_id/)
    const strict = createAuth0Handlers(tenant, { callbackUrls: ['https://app.example.com/only-this'] })
    await expect(strict.authorize(url)).rejects.toThrow(/Callback URL mismatch/)
  })

  it('lets a test set ID token claims, which the SDK then checks (a wrong nonce -> IdTokenError)', async () => {
    const { code, transaction } = await loginUpToCallback({ login: { idTokenClaims: { nonce: 'not-the-nonce' } } })
    expect(await rejection(client.exchangeCode({ code, ...transaction }))).toBeInstanceOf(IdTokenError)
  })

  it('puts accessTokenClaims (e.g. RBAC permissions) on the access tokens of the login, refreshes included', async () => {
    const { tokens } = await login({ login: { accessTokenClaims: { permissions: ['read:contacts'] } } })
    const verify = createAccessTokenVerifier({ domain: DOMAIN, audience: API })
    expect((await verify(tokens.accessToken)).permissions).toEqual(['read:contacts'])
    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect((await verify(fresh.accessToken)).permissions).toEqual(['read:contacts'])
  })
})

describe('fail() switches, and the typed SDK error each one gives', () => {
  it("'invalid_grant' -> OAuthError invalid_grant (403); scoped to refresh, TokenManager says LoginRequiredError", async () => {
    const { code, transaction } = await loginUpToCallback()
    auth0.fail('invalid_grant')
    const err = await rejection(client.exchangeCode({ code, ...transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_grant', status: 403, errorDescription: 'Invalid authorization code' })
    auth0.reset()

    const { tokens } = await login()
    auth0.fail('invalid_grant', { grant: 'refresh_token' })
    const manager = new TokenManager({ client })
    await manager.save('user-1', { ...tokens, expiresAt: now() - 1 })
    expect(await rejection(manager.getAccessToken('user-1'))).toBeInstanceOf(LoginRequiredError)
    expect(await manager.storage.get('user-1')).toBeUndefined()
  })

  it('{ times } fails that many matching requests, then answers normally; the returned function undoes it', async () => {
    const { tokens } = await login()
    auth0.fail('invalid_grant', { grant: 'refresh_token', times: 1 })
    expect(await rejection(client.refresh({ refreshToken: tokens.refreshToken! }))).toMatchObject({ error: 'invalid_grant' })
    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! }) // the failure did not touch the token
    const undo = auth0.fail({ status: 500 })
    expect(await rejection(client.refresh({ refreshToken: fresh.refreshToken! }))).toBeInstanceOf(ResponseError)
    undo()
    expect((await client.refresh({ refreshToken: fresh.refreshToken! })).accessToken).toBeTruthy()
  })

  it('{ status: 429, retryAfter } -> OAuthError 429 with retryAfter (too long to wait: not retried)', async () => {
    const { tokens } = await login()
    auth0.fail({ status: 429, retryAfter: 30 })
    const err = await rejection(client.refresh({ refreshToken: tokens.refreshToken! }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'too_many_requests', status: 429, retryAfter: 30 })
    expect(auth0.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1)
    expect(auth0.refreshTokenStatus(tokens.refreshToken!)).toBe('active') // the server did not act on it
  })

  it('{ status: 429, retryAfter: 0, times: 1 } -> the SDK waits as told and the retry succeeds, even for a code', async () => {
    const { code, transaction } = await loginUpToCallback()
    auth0.fail({ status: 429, retryAfter: 0, times: 1 })
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(tokens.accessToken).toBeTruthy()
    expect(auth0.requests.map((r) => r.status)).toEqual([429, 200])
    expect(auth0.requests[1]!.headers.get('content-type')).toContain('application/x-www-form-urlencoded')
  })

  it('{ status: 500 } -> ResponseError 500 (an HTML body), and a code exchange is not retried', async () => {
    const { code, transaction } = await loginUpToCallback()
    auth0.fail({ status: 500 })
    const err = await rejection(client.exchangeCode({ code, ...transaction }))
    expect(err).toBeInstanceOf(ResponseError)
    expect(err).toMatchObject({ status: 500 })
    expect(auth0.requests).toHaveLength(1)
  })

  it('{ status: 503, retryAfter } -> ResponseError 503 with retryAfter', async () => {
    auth0.fail({ status: 503, retryAfter: 120, grant: 'client_credentials' })
    const err = await rejection(client.clientCredentials({ audience: API }))
    expect(err).toBeInstanceOf(ResponseError)
    expect(err).toMatchObject({ status: 503, retryAfter: 120 })
  })

  it('{ delayMs } -> TimeoutError when timeoutMs is smaller', async () => {
    const { tokens } = await login()
    auth0.fail({ delayMs: 1_000, grant: 'refresh_token', times: 1 })
    const impatient = new TokenClient({ ...config, timeoutMs: 100 })
    const started = Date.now()
    const err = await rejection(impatient.refresh({ refreshToken: tokens.refreshToken! }))
    expect(err).toBeInstanceOf(TimeoutError)
    expect(Date.now() - started).toBeLessThan(900)
    // A slow server still acted on the request: that refresh token was rotated away.
    expect(auth0.refreshTokenStatus(tokens.refreshToken!)).toBe('rotated')
  })

  it('{ delayMs } within timeoutMs -> the normal answer, late', async () => {
    auth0.fail({ delayMs: 150 })
    const started = Date.now()
    await client.clientCredentials({ audience: API })
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('{ endpoint } fails another endpoint: /userinfo 500 -> ResponseError; the token endpoint is untouched', async () => {
    const { tokens } = await login()
    auth0.fail({ status: 500 }, { endpoint: 'userinfo' })
    expect(await rejection(client.userinfo(tokens.accessToken))).toMatchObject({ status: 500 })
    expect((await client.refresh({ refreshToken: tokens.refreshToken! })).accessToken).toBeTruthy()
  })

  it('{ error, errorDescription, status } answers that OAuth error', async () => {
    auth0.fail({ error: 'unauthorized_client', errorDescription: 'Grant type not allowed', status: 403 })
    const err = await rejection(client.clientCredentials({ audience: API }))
    expect(err).toMatchObject({ error: 'unauthorized_client', errorDescription: 'Grant type not allowed', status: 403 })
  })

  it('rejects nonsense switches', () => {
    expect(() => auth0.fail({ status: 200 })).toThrow(TypeError)
    expect(() => auth0.fail('invalid_grant', { times: 0 })).toThrow(TypeError)
    expect(() => auth0.fail({ status: 500 }, { endpoint: 'userinfo', grant: 'refresh_token' })).toThrow(TypeError)
  })

  it('exchangeCode (plain function) works the same way', async () => {
    const { code, transaction } = await loginUpToCallback()
    expect((await exchangeCode(config, { code, ...transaction })).claims?.sub).toBe('auth0|test-user')
  })
})

describe('the @example of createAuth0Handlers', () => {
  it('is test/testing-example.test.ts, which runs, verbatim', () => {
    const source = readFileSync(new URL('../src/testing/auth0-handlers.ts', import.meta.url), 'utf8')
    const doc = /\/\*\*((?:(?!\*\/)[\s\S])*?)\*\/\s*export function createAuth0Handlers/.exec(source)?.[1] ?? ''
    const example = /```ts\n([\s\S]*?)\s*\* ```/.exec(doc)?.[1] ?? ''
    const code = example.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n')
    const file = readFileSync(new URL('./testing-example.test.ts', import.meta.url), 'utf8')
    expect(code.trim()).not.toBe('')
    expect(file.split('\n').slice(1).join('\n').trim()).toBe(code.trim())
  })
})
