// The plain exchangeCode and refreshTokens functions: one client (one discovery) per config object.
import { describe, expect, it } from 'vitest'
import { exchangeCode, refreshTokens } from 'authcode'
import { CLIENT_SECRET, HttpResponse, onToken, testTenant, useMockServer } from '../helpers/auth0.js'
import { requestsTo, onlyRequestTo } from '../helpers/requests.js'
import { TOKEN_URL, CODE, VERIFIER, configWith, codeParams } from '../helpers/code-exchange.js'
import { IDP_ISSUER, IDP_DISCOVERY, IDP_TOKEN, useIdp, idpConfig } from '../helpers/idp.js'

const log = useMockServer()

describe('the plain exchangeCode and refreshTokens functions', () => {
  it('exchange and refresh like a TokenClient, sharing one client (one discovery) per config object', async () => {
    await useIdp()
    const config = idpConfig()

    const tokens = await exchangeCode(config, codeParams({ codeVerifier: VERIFIER }))
    const fresh = await refreshTokens(config, { refreshToken: 'rt-plain' })
    await refreshTokens(config, { refreshToken: 'rt-plain-2' })

    expect(tokens.claims?.iss).toBe(IDP_ISSUER)
    expect(fresh.refreshToken).toBe('rt-plain')
    expect(requestsTo(log, IDP_DISCOVERY)).toHaveLength(1)
    const tokenRequests = requestsTo(log, IDP_TOKEN)
    expect(tokenRequests.map((r) => r.form.get('grant_type'))).toEqual(['authorization_code', 'refresh_token', 'refresh_token'])
    expect(tokenRequests[0]?.form.get('code')).toBe(CODE)
    expect(tokenRequests[0]?.form.get('code_verifier')).toBe(VERIFIER)
    expect(tokenRequests[2]?.form.get('refresh_token')).toBe('rt-plain-2')
  })

  it('make a separate client for another config object', async () => {
    await useIdp()
    await refreshTokens(idpConfig(), { refreshToken: 'rt-1' })
    await refreshTokens(idpConfig(), { refreshToken: 'rt-2' })
    expect(requestsTo(log, IDP_DISCOVERY)).toHaveLength(2)
  })

  it('work with an Auth0 domain config', async () => {
    const tenant = await testTenant()
    onToken(async () => HttpResponse.json(await tenant.tokenResponse({ nonce: 'n-plain' })))
    const tokens = await exchangeCode(configWith(), codeParams({ nonce: 'n-plain' }))
    expect(tokens.claims?.nonce).toBe('n-plain')
    expect(onlyRequestTo(log, TOKEN_URL).form.get('client_secret')).toBe(CLIENT_SECRET)
  })
})
