// The stand-in tenant's refresh token rotation (reuse detection, reuse interval) meets TokenManager.
import { describe, expect, it } from 'vitest'
import { LoginRequiredError, TimeoutError, TokenClient, TokenManager, type ClientConfig } from 'authcode'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { now } from '../helpers/signers.js'
import { config, client, useHandlersTenant, loginSteps } from '../helpers/handlers-tenant.js'

const { tenant, auth0, server } = await useHandlersTenant()

let currentHandlers: ReturnType<typeof createAuth0Handlers> | undefined
const { loginUpToCallback, login } = loginSteps(auth0, () => currentHandlers)

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
