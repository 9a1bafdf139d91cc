// The stand-in tenant's fail() switches, and the typed SDK error each one gives.
import { describe, expect, it } from 'vitest'
import { LoginRequiredError, OAuthError, ResponseError, TimeoutError, TokenClient, TokenManager, exchangeCode } from 'authcode'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import { API, config, client, useHandlersTenant, loginSteps } from '../helpers/handlers-tenant.js'

const { tenant, auth0, server } = await useHandlersTenant()

let currentHandlers: ReturnType<typeof createAuth0Handlers> | undefined
const { loginUpToCallback, login } = loginSteps(auth0, () => currentHandlers)

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
