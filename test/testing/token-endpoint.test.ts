// What the stand-in token endpoint refuses, as Auth0 does: used codes, wrong verifiers, redirect URIs, client secrets and keys.
import { generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  buildAuthorizeUrl,
  generateCodeVerifier,
  generateState,
  ConfigError,
  OAuthError,
  TokenClient,
  type ClientConfig,
  exchangeCode,
  validateCallback,
} from 'authcode'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { rejection } from '../helpers/outcome.js'
import { API, REDIRECT_URI, config, client, useHandlersTenant, loginSteps } from '../helpers/handlers-tenant.js'

const { tenant, auth0, server } = await useHandlersTenant()

let currentHandlers: ReturnType<typeof createAuth0Handlers> | undefined
const { loginUpToCallback, login } = loginSteps(auth0, () => currentHandlers)

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
