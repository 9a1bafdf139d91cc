import { describe, expect, it } from 'vitest'
import { OAuthError, TokenClient, createAuthorizationRequest, validateCallback } from 'authcode'
import { createAccessTokenVerifier } from 'authcode/api'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, REDIRECT_URI, useAuth0Handlers, useMockServer } from './helpers/auth0.js'

const log = useMockServer()
const auth0 = await useAuth0Handlers({ clientSecret: CLIENT_SECRET, audience: 'https://api.example.com' })

describe('the whole flow against a stand-in Auth0 tenant', () => {
  it('builds the URL, logs in, checks the callback, exchanges the code, refreshes and verifies the access token', async () => {
    const config = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, scope: 'openid profile email offline_access' })
    expect(url.origin).toBe(`https://${DOMAIN}`)
    const { code } = validateCallback(await auth0.authorize(url), transaction)
    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.claims?.nonce).toBe(transaction.nonce)
    expect(log[0]?.form.get('code')).toBe(code)
    expect(log[0]?.form.get('client_secret')).toBe(CLIENT_SECRET)

    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    await expect(client.refresh({ refreshToken: tokens.refreshToken! })).rejects.toBeInstanceOf(OAuthError)

    const verify = createAccessTokenVerifier({ domain: DOMAIN, audience: 'https://api.example.com' })
    expect((await verify(fresh.accessToken)).sub).toBe('auth0|test-user')
  })
})
