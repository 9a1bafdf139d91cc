// Tokens in Node through the SDK's public API, against a real authorization server (scripts/auth-server.mjs, oidc-provider
// shaped like an Auth0 tenant): refresh, userinfo, revocation, client authentication, sessions and logout.
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthorizationError,
  ConfigError,
  LoginRequiredError,
  MemoryStorage,
  OAuthError,
  TokenClient,
  TokenManager,
  buildLogoutUrl,
  exchangeCode,
  generateCodeVerifier,
  refreshTokens,
  validateCallback,
  type TokenSet,
} from 'authcode'
import { InsufficientScopeError, InvalidTokenError, createAccessTokenVerifier } from 'authcode/api'
import { type AuthServer, CookieJar, startAuthServer } from '../helpers/auth-server.js'
import { rejection } from '../helpers/outcome.js'
import { SCOPE, e2eLogins, followLogout } from '../helpers/e2e-login.js'

let server: AuthServer
beforeAll(async () => {
  server = await startAuthServer()
})
afterAll(async () => {
  await server?.close()
})

const { user, configFor, authorize, loginWithTokens } = e2eLogins(() => server)

describe('refresh tokens', () => {
  it('rotates the refresh token; reusing the old one is invalid_grant and revokes the whole family', async () => {
    const { tokenClient, tokens } = await loginWithTokens()
    const fresh = await tokenClient.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).toBeTypeOf('string')
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    expect(fresh.accessToken).not.toBe(tokens.accessToken)
    expect(fresh.claims).toMatchObject({ sub: user().sub, org_id: 'org_acme' })
    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    await expect(verify(fresh.accessToken, { requiredScopes: ['read:contacts'] })).resolves.toMatchObject({ sub: user().sub })

    const reuse = await rejection(tokenClient.refresh({ refreshToken: tokens.refreshToken! }))
    expect(reuse).toBeInstanceOf(OAuthError)
    expect(reuse).toMatchObject({ error: 'invalid_grant', status: 400 })
    expect(String(reuse)).not.toContain(tokens.refreshToken!)

    // Family revocation: the newest refresh token died with the reused one.
    const family = await rejection(tokenClient.refresh({ refreshToken: fresh.refreshToken! }))
    expect(family).toBeInstanceOf(OAuthError)
    expect(family).toMatchObject({ error: 'invalid_grant' })
  })

  it('refreshTokens (the plain function) keeps the chain going', async () => {
    const { config, tokens } = await loginWithTokens()
    let current: TokenSet = tokens
    for (let i = 0; i < 3; i++) {
      const next = await refreshTokens(config, { refreshToken: current.refreshToken! })
      expect(next.refreshToken).not.toBe(current.refreshToken)
      current = next
    }
    expect(decodeJwt(current.accessToken).aud).toContain(server.apiAudience)
  })

  it('API scopes asked for are in the access token; a refresh can narrow the scope', async () => {
    const { tokenClient, tokens } = await loginWithTokens(server.clients.confidential, { scope: `${SCOPE} read:contacts` })
    expect(decodeJwt(tokens.accessToken).scope).toBe(`${SCOPE} read:contacts`)
    expect(tokens.scope).toBe(`${SCOPE} read:contacts`)
    const narrow = await tokenClient.refresh({ refreshToken: tokens.refreshToken!, scope: ['openid', 'read:contacts'] })
    expect(narrow.scope).toBe('openid read:contacts')
    expect(narrow.claims).toMatchObject({ sub: user().sub })
    expect(narrow.claims).not.toHaveProperty('email')
    // Omitting the scope on the next refresh means the original one again (RFC 6749 section 6).
    const full = await tokenClient.refresh({ refreshToken: narrow.refreshToken! })
    expect(full.scope).toBe(`${SCOPE} read:contacts`)
  })

  it('TokenManager: concurrent forced refreshes make one refresh request, and the family stays alive', async () => {
    const { tokenClient, tokens } = await loginWithTokens()
    const manager = new TokenManager({ client: tokenClient, storage: new MemoryStorage() })
    await manager.save('jane', tokens)
    const results = await Promise.all(Array.from({ length: 5 }, () => manager.getAccessToken('jane', { forceRefresh: true })))
    expect(new Set(results).size).toBe(1)
    expect(results[0]).not.toBe(tokens.accessToken)
    // Had two refreshes used the same refresh token, the server would have revoked the family.
    const again = await manager.getAccessToken('jane', { forceRefresh: true })
    expect(again).not.toBe(results[0])
    expect(await manager.getAccessToken('jane')).toBe(again)
  })

  it('TokenManager: clear({ revoke: true }) revokes the refresh token at /oauth/revoke', async () => {
    const { tokenClient, tokens } = await loginWithTokens()
    const storage = new MemoryStorage()
    const manager = new TokenManager({ client: tokenClient, storage })
    await manager.save('jane', tokens)
    await manager.clear('jane', { revoke: true })
    expect(await storage.get('jane')).toBeUndefined()
    await expect(manager.getAccessToken('jane')).rejects.toBeInstanceOf(LoginRequiredError)
    const dead = await rejection(tokenClient.refresh({ refreshToken: tokens.refreshToken! }))
    expect(dead).toMatchObject({ error: 'invalid_grant' })
  })
})

describe('userinfo and revocation', () => {
  it('without an audience the access token is opaque: good for /userinfo, not for an API', async () => {
    const config = configFor(server.clients.confidential)
    const login = await authorize(config, { scope: 'openid profile email' })
    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code: validateCallback(login.callback, login.transaction).code, ...login.transaction })
    expect(tokens.accessToken.split('.')).toHaveLength(1)
    expect(tokens.refreshToken).toBeUndefined()
    const profile = await client.userinfo(tokens.accessToken)
    expect(profile).toMatchObject({ sub: user().sub, email: user().email, email_verified: true, name: user().name })
    expect(profile).not.toHaveProperty('org_id')
    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    await expect(verify(tokens.accessToken)).rejects.toBeInstanceOf(InvalidTokenError)
  })

  it('userinfo refuses an unknown access token with invalid_token', async () => {
    const client = new TokenClient(configFor(server.clients.confidential))
    const err = await rejection(client.userinfo('not-a-real-access-token'))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_token', status: 401 })
  })

  it('revokes a refresh token; revoking it again still succeeds', async () => {
    const { tokenClient, tokens } = await loginWithTokens()
    await expect(tokenClient.revoke(tokens.refreshToken!)).resolves.toBeUndefined()
    const err = await rejection(tokenClient.refresh({ refreshToken: tokens.refreshToken! }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_grant' })
    await expect(tokenClient.revoke(tokens.refreshToken!)).resolves.toBeUndefined()
  })
})

describe('client authentication', () => {
  it('a client_secret_basic application logs in, refreshes and gets M2M tokens', async () => {
    const { config, tokenClient, tokens } = await loginWithTokens(server.clients.basic)
    expect(config.clientAuth).toBe('client_secret_basic')
    expect(tokens.claims).toMatchObject({ aud: server.clients.basic.clientId, org_id: 'org_acme' })
    const fresh = await tokenClient.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    const m2m = await tokenClient.clientCredentials({ audience: server.apiAudience })
    expect(decodeJwt(m2m.accessToken)).toMatchObject({ sub: `${server.clients.basic.clientId}@clients`, aud: server.apiAudience })
  })

  it('sends the secret the way each application is configured: Basic header or form body', async () => {
    const sent: { authorization: string | null; form: URLSearchParams }[] = []
    const recordingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      if (new URL(request.url).pathname === '/oauth/token') {
        sent.push({ authorization: request.headers.get('authorization'), form: new URLSearchParams(await request.clone().text()) })
      }
      return fetch(request)
    }
    for (const client of [server.clients.basic, server.clients.confidential]) {
      await new TokenClient(configFor(client, { fetch: recordingFetch })).clientCredentials({ audience: server.apiAudience })
    }
    const [basic, post] = sent
    // RFC 6749 2.3.1: id and secret are form-urlencoded, then base64 ("-" goes out as "%2D").
    const [id, secret] = atob(basic?.authorization?.replace(/^Basic /, '') ?? '').split(':').map(decodeURIComponent)
    expect(basic?.authorization).toMatch(/^Basic /)
    expect({ id, secret }).toEqual({ id: server.clients.basic.clientId, secret: server.clients.basic.clientSecret })
    expect(basic?.form.has('client_secret')).toBe(false)
    expect(post?.authorization).toBeNull()
    expect(post?.form.get('client_id')).toBe(server.clients.confidential.clientId)
    expect(post?.form.get('client_secret')).toBe(server.clients.confidential.clientSecret)
    // Auth0's audience went out as audience; the server read it as the resource indicator.
    expect(post?.form.get('audience')).toBe(server.apiAudience)
  })

  it('a public application (clientAuth none) logs in with PKCE alone', async () => {
    const { config, tokenClient, tokens, transaction } = await loginWithTokens(server.clients.public)
    expect(config.clientSecret).toBeUndefined()
    expect(transaction.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
    expect(tokens.claims).toMatchObject({ aud: server.clients.public.clientId, sub: user().sub })
    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    await expect(verify(tokens.accessToken, { requiredScopes: ['read:contacts'] })).resolves.toMatchObject({ azp: server.clients.public.clientId })
    const fresh = await tokenClient.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    await expect(tokenClient.clientCredentials()).rejects.toBeInstanceOf(ConfigError)
  })

  it('a public application with the wrong PKCE verifier gets invalid_grant', async () => {
    const login = await authorize(configFor(server.clients.public), { scope: SCOPE })
    const { code } = validateCallback(login.callback, login.transaction)
    const client = new TokenClient(login.config)
    const { codeVerifier: _omitted, ...withoutVerifier } = login.transaction
    await expect(client.exchangeCode({ code, ...withoutVerifier })).rejects.toBeInstanceOf(ConfigError)
    const err = await rejection(client.exchangeCode({ code, ...login.transaction, codeVerifier: generateCodeVerifier() }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_grant' })
  })

  it('a wrong client secret is invalid_client (post and basic), and the message does not carry it', async () => {
    for (const client of [server.clients.confidential, server.clients.basic]) {
      const secret = 'wrong-secret-0123456789abcdef'
      const login = await authorize(configFor(client), { scope: SCOPE })
      const { code } = validateCallback(login.callback, login.transaction)
      const err = await rejection(new TokenClient(configFor(client, { clientSecret: secret })).exchangeCode({ code, ...login.transaction }))
      expect(err).toBeInstanceOf(OAuthError)
      expect(err).toMatchObject({ error: 'invalid_client', status: 401 })
      expect(`${String(err)} ${JSON.stringify(err)}`).not.toContain(secret)
    }
  })

  it('client credentials: an Auth0-style M2M token the API accepts', async () => {
    const client = new TokenClient(configFor(server.clients.confidential, { audience: server.apiAudience }))
    const m2m = await client.clientCredentials()
    expect(m2m.refreshToken).toBeUndefined()
    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    const claims = await verify(m2m.accessToken, { requiredScopes: ['read:contacts', 'write:contacts'] })
    expect(claims).toMatchObject({ sub: `${server.clients.confidential.clientId}@clients`, gty: 'client-credentials' })
    const narrow = await client.clientCredentials({ scope: 'read:contacts' })
    await expect(verify(narrow.accessToken, { requiredScopes: ['write:contacts'] })).rejects.toBeInstanceOf(InsufficientScopeError)
    const unknown = await rejection(client.clientCredentials({ audience: 'https://unknown.api.example' }))
    expect(unknown).toBeInstanceOf(OAuthError)
    expect(unknown).toMatchObject({ error: 'invalid_target' })
  })
})

describe('sessions and logout', () => {
  it('a second login rides the session (no login page); prompt=none works with it and fails without', async () => {
    const config = configFor(server.clients.confidential)
    const first = await authorize(config)
    expect(first.loginPage).toBeDefined()
    const second = await authorize(config, { prompt: 'none' }, first.jar)
    expect(second.loginPage).toBeUndefined()
    expect(validateCallback(second.callback, second.transaction).code).toBeTruthy()

    const silent = await authorize(config, { prompt: 'none' }, new CookieJar())
    expect(() => validateCallback(silent.callback, silent.transaction)).toThrow(AuthorizationError)
    expect(silent.callback.searchParams.get('error')).toBe('login_required')
  })

  it('OIDC logout (buildLogoutUrl with the end_session_endpoint) ends the session and returns to the app', async () => {
    const config = configFor(server.clients.confidential)
    const { jar, tokens } = await loginWithTokens()
    const meta = (await (await fetch(`${server.issuer}.well-known/openid-configuration`)).json()) as { end_session_endpoint: string }
    const logoutUrl = buildLogoutUrl({
      endSessionEndpoint: meta.end_session_endpoint,
      clientId: server.clients.confidential.clientId,
      idTokenHint: tokens.idToken!,
      returnTo: 'http://localhost:3000/',
    })
    const returned = await followLogout(jar, logoutUrl)
    expect(returned.href).toBe('http://localhost:3000/')
    const silent = await authorize(config, { prompt: 'none' }, jar)
    expect(silent.callback.searchParams.get('error')).toBe('login_required')
  })

  it("Auth0's /v2/logout?client_id&returnTo works too", async () => {
    const config = configFor(server.clients.confidential)
    const { jar } = await authorize(config)
    const logoutUrl = new URL(`${server.url}/v2/logout`)
    logoutUrl.search = new URLSearchParams({ client_id: server.clients.confidential.clientId, returnTo: 'http://localhost:3000/' }).toString()
    const returned = await followLogout(jar, logoutUrl)
    expect(returned.href).toBe('http://localhost:3000/')
    const silent = await authorize(config, { prompt: 'none' }, jar)
    expect(silent.callback.searchParams.get('error')).toBe('login_required')
  })
})
