// authcode/testing/msw's createAuth0Handlers, driven by the real SDK through the whole flow; its @example is a test that runs.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { OAuthError, TokenClient, type ClientConfig, createAuthorizationRequest, exchangeCode, validateCallback } from 'authcode'
import { createAccessTokenVerifier } from 'authcode/api'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import {
  DOMAIN,
  CLIENT_ID,
  API,
  REDIRECT_URI,
  FULL_SCOPE,
  config,
  client,
  useHandlersTenant,
  loginSteps,
} from '../helpers/handlers-tenant.js'

const { tenant, auth0, server } = await useHandlersTenant()

let currentHandlers: ReturnType<typeof createAuth0Handlers> | undefined
const { loginUpToCallback, login } = loginSteps(auth0, () => currentHandlers)

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

describe('the @example of createAuth0Handlers', () => {
  it('is test/testing-example.test.ts, which runs, verbatim', () => {
    const source = readFileSync(new URL('../../src/testing/auth0-handlers.ts', import.meta.url), 'utf8')
    const doc = /\/\*\*((?:(?!\*\/)[\s\S])*?)\*\/\s*export function createAuth0Handlers/.exec(source)?.[1] ?? ''
    const example = /```ts\n([\s\S]*?)\s*\* ```/.exec(doc)?.[1] ?? ''
    const code = example.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n')
    const file = readFileSync(new URL('../testing-example.test.ts', import.meta.url), 'utf8')
    expect(code.trim()).not.toBe('')
    expect(file.split('\n').slice(1).join('\n').trim()).toBe(code.trim())
  })
})
