import { describe, expect, it } from 'vitest'
import { TokenClient, createAuthorizationRequest, validateCallback } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, REDIRECT_URI, onToken, testTenant, useMockServer } from './helpers/auth0.js'

const log = useMockServer()

describe('the whole flow against a stand-in Auth0 tenant', () => {
  it('builds the URL, checks the callback and exchanges the code', async () => {
    const tenant = await testTenant()
    const config = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(url.origin).toBe(`https://${DOMAIN}`)
    const { code } = validateCallback(`${REDIRECT_URI}?code=abc123&state=${transaction.state}`, transaction)
    onToken(async () => HttpResponse.json(await tenant.tokenResponse({ nonce: transaction.nonce! })))
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.claims?.nonce).toBe(transaction.nonce)
    expect(log[0]?.form.get('code')).toBe('abc123')
    expect(log[0]?.form.get('client_secret')).toBe(CLIENT_SECRET)
  })
})
