// Microsoft Entra ID configured with the multi-tenant /common/v2.0 URL or a tenant URL without
// /v2.0: their discovery documents name another issuer, which is the app's mistake to fix (a
// ConfigError on "issuer" naming what the provider reports), never an outage (ResponseError).
import { beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, TokenClient, createAuthorizationRequest } from 'authcode'
import { createAccessTokenVerifier, verifyIdToken } from 'authcode/api'
import { authorizeParams, configFor, rejection } from './flow.js'
import { ENTRA, ENTRA_API_ID, ENTRA_COMMON, ENTRA_V1 } from './profiles/entra.js'
import { type StandIn, createStandIn } from './stand-in.js'

const CASES = [
  { name: 'the multi-tenant /common/v2.0 URL', ...ENTRA_COMMON, says: 'https://login.microsoftonline.com/{tenantid}/v2.0' },
  { name: 'the tenant URL without /v2.0', ...ENTRA_V1, says: 'https://sts.windows.net/' },
]

function expectIssuerConfigError(err: unknown, reported: string): void {
  expect(err).toBeInstanceOf(ConfigError)
  expect((err as ConfigError).field).toBe('issuer')
  expect((err as ConfigError).message).toContain(reported)
}

describe.each(CASES)('Entra ID configured with $name', (c) => {
  let s: StandIn
  beforeEach(async () => {
    s = await createStandIn(ENTRA)
  })

  it(`is a ConfigError on issuer naming ${c.says} from createAuthorizationRequest`, async () => {
    const err = await rejection(createAuthorizationRequest(configFor(s, { issuer: c.configured }), authorizeParams(ENTRA)))
    expectIssuerConfigError(err, c.reported)
    expect((err as ConfigError).message).toContain(c.says)
  })

  it('is a ConfigError on issuer from a TokenClient exchange, and no code reaches any token endpoint', async () => {
    const client = new TokenClient(configFor(s, { issuer: c.configured }))
    const err = await rejection(client.exchangeCode({ code: 'a-code-from-somewhere', redirectUri: ENTRA.client.redirectUri, codeVerifier: 'v'.repeat(43) }))
    expectIssuerConfigError(err, c.reported)
    expect(s.received.every((r) => r.method === 'GET' && r.endpoint.endsWith('/.well-known/openid-configuration'))).toBe(true)
  })

  it('is a ConfigError on issuer from createAccessTokenVerifier, before any key is fetched', async () => {
    const verify = createAccessTokenVerifier({ issuer: c.configured, audience: ENTRA_API_ID, algorithms: ['RS256'], fetch: s.fetch })
    expectIssuerConfigError(await rejection(verify(await s.mint('access'))), c.reported)
    expect(s.received.map((r) => r.endpoint)).toEqual([`${c.configured}/.well-known/openid-configuration`])
  })

  it('is a ConfigError on issuer from verifyIdToken', async () => {
    const err = await rejection(verifyIdToken(await s.mint('id'), { issuer: c.configured, clientId: ENTRA.client.id, fetch: s.fetch }))
    expectIssuerConfigError(err, c.reported)
  })
})
