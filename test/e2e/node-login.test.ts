// The login in Node through the SDK's public API, against a real authorization server (scripts/auth-server.mjs, oidc-provider
// shaped like an Auth0 tenant): discovery, authorize, callback checks, the code exchange, organizations.
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthorizationError,
  CallbackError,
  IdTokenError,
  OAuthError,
  TokenClient,
  createAuthorizationRequest,
  exchangeCode,
  validateCallback,
} from 'authcode'
import { InsufficientScopeError, InvalidTokenError, createAccessTokenVerifier, verifyIdToken } from 'authcode/api'
import { type AuthServer, locationOf, startAuthServer } from '../helpers/auth-server.js'
import { rejection } from '../helpers/outcome.js'
import { REDIRECT_URI, SCOPE, e2eLogins } from '../helpers/e2e-login.js'

let server: AuthServer
beforeAll(async () => {
  server = await startAuthServer()
})
afterAll(async () => {
  await server?.close()
})

const { user, configFor, authorize, loginWithTokens } = e2eLogins(() => server)

describe('the server looks like an Auth0 tenant', () => {
  it('advertises Auth0 paths, RFC 9207 iss and S256 in discovery', async () => {
    const meta = (await (await fetch(`${server.issuer}.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(meta).toMatchObject({
      issuer: server.issuer,
      authorization_endpoint: `${server.url}/authorize`,
      token_endpoint: `${server.url}/oauth/token`,
      userinfo_endpoint: `${server.url}/userinfo`,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      revocation_endpoint: `${server.url}/oauth/revoke`,
      end_session_endpoint: `${server.url}/oidc/logout`,
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ['S256'],
    })
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  })
})

describe('login: authorize, callback, code exchange', () => {
  let login: Awaited<ReturnType<typeof loginWithTokens>>
  beforeAll(async () => {
    login = await loginWithTokens()
  })

  it('builds the /authorize URL from discovery with PKCE, nonce, audience and organization', () => {
    const { url, transaction } = login
    expect(url.origin + url.pathname).toBe(`${server.url}/authorize`)
    const q = url.searchParams
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: server.clients.confidential.clientId,
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      audience: server.apiAudience,
      organization: 'org_acme',
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    })
    expect(transaction).toMatchObject({ issuer: server.issuer, requireIssuer: true, organization: 'org_acme', redirectUri: REDIRECT_URI })
  })

  it('shows a login page with the test user, then redirects to the callback with code, state and iss', () => {
    expect(login.loginPage).toContain(user().email)
    expect(login.loginPage).toContain(user().password)
    expect(login.callback.origin + login.callback.pathname).toBe(REDIRECT_URI)
    expect(login.callback.searchParams.get('code')).toBeTruthy()
    expect(login.callback.searchParams.get('state')).toBe(login.transaction.state)
    expect(login.callback.searchParams.get('iss')).toBe(server.issuer)
  })

  it('exchanges the code for a TokenSet with validated ID token claims', () => {
    const { tokens } = login
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.idToken).toBeTypeOf('string')
    expect(tokens.refreshToken).toBeTypeOf('string')
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']))
    const now = Math.floor(Date.now() / 1000)
    expect(tokens.expiresAt).toBeGreaterThan(now + 3500)
    expect(tokens.expiresAt).toBeLessThanOrEqual(now + 3600)
    expect(tokens.claims).toMatchObject({
      iss: server.issuer,
      aud: server.clients.confidential.clientId,
      sub: user().sub,
      email: user().email,
      name: user().name,
      nonce: login.transaction.nonce,
      org_id: 'org_acme',
      org_name: 'acme',
    })
  })

  it('gets an RS256 JWT access token for the API', () => {
    const header = decodeProtectedHeader(login.tokens.accessToken)
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' })
    const claims = decodeJwt(login.tokens.accessToken)
    expect(claims).toMatchObject({ iss: server.issuer, sub: user().sub, azp: server.clients.confidential.clientId, org_id: 'org_acme' })
    expect(claims.aud).toEqual([server.apiAudience, `${server.issuer}userinfo`])
  })

  it('the API verifies the access token (signature from the discovered JWKS, iss, aud, scopes)', async () => {
    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    const claims = await verify(`Bearer ${login.tokens.accessToken}`, { requiredScopes: ['read:contacts'] })
    expect(claims).toMatchObject({ sub: user().sub, iss: server.issuer, org_id: 'org_acme' })
    expect(claims.permissions).toEqual(['read:contacts', 'write:contacts'])
    await expect(verify(login.tokens.accessToken, { requiredScopes: ['delete:contacts'] })).rejects.toBeInstanceOf(InsufficientScopeError)
    // An ID token is not an access token for the API.
    await expect(verify(login.tokens.idToken!)).rejects.toBeInstanceOf(InvalidTokenError)
    // Another API refuses it.
    const other = createAccessTokenVerifier({ issuer: server.issuer, audience: 'https://other.api.example', allowInsecureRequests: true })
    await expect(other(login.tokens.accessToken)).rejects.toBeInstanceOf(InvalidTokenError)
  })

  it('verifyIdToken checks the ID token on its own (signature, nonce, organization)', async () => {
    const options = { issuer: server.issuer, clientId: server.clients.confidential.clientId, allowInsecureRequests: true } as const
    const claims = await verifyIdToken(login.tokens.idToken!, { ...options, nonce: login.transaction.nonce!, organization: 'org_acme' })
    expect(claims.sub).toBe(user().sub)
    await expect(verifyIdToken(login.tokens.idToken!, { ...options, nonce: 'another-nonce' })).rejects.toBeInstanceOf(IdTokenError)
    await expect(verifyIdToken(login.tokens.idToken!, { ...options, organization: 'org_globex' })).rejects.toBeInstanceOf(IdTokenError)
  })

  it('userinfo answers for the API access token (Auth0 adds <issuer>userinfo to its audience)', async () => {
    const profile = await login.tokenClient.userinfo(login.tokens.accessToken)
    expect(profile).toMatchObject({ sub: user().sub, email: user().email, name: user().name, org_id: 'org_acme' })
  })

  it('a code works once', async () => {
    const { code } = validateCallback(login.callback, login.transaction)
    const err = await rejection(login.tokenClient.exchangeCode({ code, ...login.transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_grant', status: 400 })
  })
})

describe('callback checks against the real server', () => {
  it('refuses a callback whose iss is another server (RFC 9207) or has no iss', async () => {
    const login = await authorize(configFor(server.clients.confidential))
    expect(() => validateCallback(login.callback, { ...login.transaction, issuer: 'http://127.0.0.1:1/' })).toThrow(CallbackError)
    const withoutIss = new URL(login.callback)
    withoutIss.searchParams.delete('iss')
    expect(() => validateCallback(withoutIss, login.transaction)).toThrow(CallbackError)
    expect(validateCallback(login.callback, login.transaction).code).toBe(login.callback.searchParams.get('code'))
  })

  it('reads a response_mode=form_post callback from the posted fields', async () => {
    const config = configFor(server.clients.confidential)
    const login = await authorize(config, { responseMode: 'form_post' })
    expect(login.callback.href).toBe(REDIRECT_URI)
    expect(login.form?.get('iss')).toBe(server.issuer)
    const { code } = validateCallback(login.form!, login.transaction)
    const tokens = await exchangeCode(config, { code, ...login.transaction })
    expect(tokens.claims?.sub).toBe(user().sub)
  })

  it('checks auth_time against max_age', async () => {
    const config = configFor(server.clients.confidential)
    const login = await authorize(config, { maxAge: 600 })
    expect(login.transaction.maxAge).toBe(600)
    const tokens = await new TokenClient(config).exchangeCode({ code: validateCallback(login.callback, login.transaction).code, ...login.transaction })
    expect(tokens.claims?.auth_time).toBeTypeOf('number')
  })
})

describe('organizations', () => {
  it('logs in to an organization by name: the ID token carries org_id and org_name', async () => {
    const { tokens, transaction } = await loginWithTokens(server.clients.confidential, { organization: 'Acme' })
    expect(transaction.organization).toBe('Acme')
    expect(tokens.claims).toMatchObject({ org_id: 'org_acme', org_name: 'acme' })
  })

  it('refuses tokens that are not for the organization of the login', async () => {
    const login = await authorize(configFor(server.clients.confidential), { organization: 'org_acme' })
    const { code } = validateCallback(login.callback, login.transaction)
    const err = await rejection(new TokenClient(login.config).exchangeCode({ code, ...login.transaction, organization: 'org_globex' }))
    expect(err).toBeInstanceOf(IdTokenError)
  })

  it('a user who is not a member comes back with access_denied', async () => {
    const login = await authorize(configFor(server.clients.confidential), { organization: 'org_globex' })
    const err = (() => {
      try {
        validateCallback(login.callback, login.transaction)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(AuthorizationError)
    expect(err).toMatchObject({ error: 'access_denied' })
  })

  it('an unknown organization comes back with invalid_request', async () => {
    const { url, transaction } = await createAuthorizationRequest(configFor(server.clients.confidential), { redirectUri: REDIRECT_URI, organization: 'org_nope' })
    const res = await fetch(url, { redirect: 'manual' })
    const callback = locationOf(res, url)
    expect(() => validateCallback(callback, transaction)).toThrow(AuthorizationError)
    expect(callback.searchParams.get('error')).toBe('invalid_request')
  })
})
