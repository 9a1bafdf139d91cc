// An issuer instead of a domain: the discovery document read once per client, shared by concurrent calls, tried again after a failure.
import { describe, expect, it } from 'vitest'
import { ResponseError, TokenClient, exchangeCode } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, REDIRECT_URI, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { requestsTo, onlyRequestTo, formEntries, sorted } from '../helpers/requests.js'
import { CODE, VERIFIER, codeParams } from '../helpers/code-exchange.js'
import { IDP_ISSUER, IDP_DISCOVERY, IDP_TOKEN, useIdp, idpConfig } from '../helpers/idp.js'

const log = useMockServer()

describe('an issuer instead of a domain (OIDC discovery)', () => {
  it('discovers the endpoints once for several calls on one client', async () => {
    await useIdp()
    const client = new TokenClient(idpConfig())

    const first = await client.exchangeCode(codeParams())
    const second = await client.refresh({ refreshToken: 'rt-idp' })

    expect(requestsTo(log, IDP_DISCOVERY)).toHaveLength(1)
    expect(requestsTo(log, IDP_DISCOVERY)[0]?.method).toBe('GET')
    const tokenRequests = requestsTo(log, IDP_TOKEN)
    expect(tokenRequests.map((r) => r.form.get('grant_type'))).toEqual(['authorization_code', 'refresh_token'])
    expect(first.claims?.iss).toBe(IDP_ISSUER)
    expect(second.accessToken).toBe('idp-at')
    expect(log.some((r) => r.url.host === DOMAIN)).toBe(false)
  })

  it('shares one discovery between concurrent calls', async () => {
    await useIdp()
    const client = new TokenClient(idpConfig())
    await Promise.all([client.refresh({ refreshToken: 'rt-a' }), client.refresh({ refreshToken: 'rt-b' })])
    expect(requestsTo(log, IDP_DISCOVERY)).toHaveLength(1)
    expect(requestsTo(log, IDP_TOKEN)).toHaveLength(2)
  })

  it('tries a failed discovery again on the next call', async () => {
    await useIdp({ failFirst: [500] })
    const client = new TokenClient(idpConfig())

    const err = await rejection(client.exchangeCode(codeParams()), ResponseError)
    expect(err.status).toBe(500)
    expect(requestsTo(log, IDP_DISCOVERY)).toHaveLength(1)
    expect(requestsTo(log, IDP_TOKEN)).toHaveLength(0)

    const tokens = await client.exchangeCode(codeParams())
    expect(tokens.accessToken).toBe('idp-at')
    expect(requestsTo(log, IDP_DISCOVERY)).toHaveLength(2)
    expect(requestsTo(log, IDP_TOKEN)).toHaveLength(1)
  })

  it('exchanges a code with a provider that advertises authorization_response_iss_parameter_supported', async () => {
    await useIdp({ metadata: { authorization_response_iss_parameter_supported: true } })

    const tokens = await new TokenClient(idpConfig()).exchangeCode(codeParams({ codeVerifier: VERIFIER }))

    expect(tokens.accessToken).toBe('idp-at')
    const req = onlyRequestTo(log, IDP_TOKEN)
    // iss belongs to the callback check, not to the token request.
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: CODE,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      }),
    )
  })
})
