// buildLogoutUrl: Auth0's /v2/logout, or any provider's OpenID Connect end_session_endpoint.
import { describe, expect, it } from 'vitest'
import { buildLogoutUrl } from 'authcode'
import { CLIENT_ID, DOMAIN, useMockServer } from '../helpers/auth0.js'
import { expectConfigError } from '../helpers/config-error.js'

// Every request that reaches the network is recorded (and an unhandled one fails the test):
// nothing in this file may need the network.
const log = useMockServer()

describe('buildLogoutUrl', () => {
  it('builds Auth0 /v2/logout with client_id and returnTo', () => {
    const url = buildLogoutUrl({ domain: DOMAIN, clientId: CLIENT_ID, returnTo: 'https://app.example.com/' })
    expect(`${url.origin}${url.pathname}`).toBe(`https://${DOMAIN}/v2/logout`)
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(url.searchParams.get('returnTo')).toBe('https://app.example.com/')
    expect(url.searchParams.has('federated')).toBe(false)
    expect(url.searchParams.has('post_logout_redirect_uri')).toBe(false)
  })

  it('adds federated when asked', () => {
    const url = buildLogoutUrl({ domain: DOMAIN, clientId: CLIENT_ID, federated: true })
    expect(url.pathname).toBe('/v2/logout')
    expect(url.searchParams.has('federated')).toBe(true)
    expect(buildLogoutUrl({ domain: DOMAIN, clientId: CLIENT_ID, federated: false }).searchParams.has('federated')).toBe(false)
  })

  it('normalizes the domain as buildAuthorizeUrl does', () => {
    const url = buildLogoutUrl({ domain: `https://${DOMAIN}/`, clientId: CLIENT_ID })
    expect(`${url.origin}${url.pathname}`).toBe(`https://${DOMAIN}/v2/logout`)
  })

  it('uses /oidc/logout with id_token_hint, post_logout_redirect_uri and client_id when idTokenHint is given', () => {
    const url = buildLogoutUrl({
      domain: DOMAIN,
      clientId: CLIENT_ID,
      returnTo: 'https://app.example.com/bye',
      idTokenHint: 'eyJhbGciOiJSUzI1NiJ9.e30.sig',
    })
    expect(`${url.origin}${url.pathname}`).toBe(`https://${DOMAIN}/oidc/logout`)
    expect(url.searchParams.get('id_token_hint')).toBe('eyJhbGciOiJSUzI1NiJ9.e30.sig')
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('https://app.example.com/bye')
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(url.searchParams.has('returnTo')).toBe(false)
  })

  it("uses /oidc/logout when endpoint is 'oidc', even without idTokenHint", () => {
    const url = buildLogoutUrl({ domain: DOMAIN, clientId: CLIENT_ID, returnTo: 'https://app.example.com/', endpoint: 'oidc' })
    expect(url.pathname).toBe('/oidc/logout')
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('https://app.example.com/')
    expect(url.searchParams.has('id_token_hint')).toBe(false)
  })

  it("uses /v2/logout when endpoint is 'v2', even with idTokenHint", () => {
    const url = buildLogoutUrl({ domain: DOMAIN, clientId: CLIENT_ID, idTokenHint: 'tok', endpoint: 'v2' })
    expect(url.pathname).toBe('/v2/logout')
    expect(url.searchParams.has('id_token_hint')).toBe(false)
  })

  it('uses an endSessionEndpoint of any provider in the OIDC form', () => {
    const url = buildLogoutUrl({
      endSessionEndpoint: 'https://login.example.org/session/end',
      clientId: CLIENT_ID,
      returnTo: 'https://app.example.com/',
    })
    expect(`${url.origin}${url.pathname}`).toBe('https://login.example.org/session/end')
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('https://app.example.com/')
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
  })

  it.each([
    ['relative', '/'],
    ['custom scheme', 'com.app:/logout'],
    ['with a fragment', 'https://app.example.com/#bye'],
    ['empty', ''],
  ])('refuses a returnTo that is %s, naming returnTo', (_label, returnTo) => {
    expectConfigError(() => buildLogoutUrl({ domain: DOMAIN, clientId: CLIENT_ID, returnTo }), 'returnTo')
  })

  it('refuses a missing clientId and a missing domain', () => {
    expectConfigError(() => buildLogoutUrl({ domain: DOMAIN, clientId: '' }), 'clientId')
    expectConfigError(() => buildLogoutUrl({ clientId: CLIENT_ID }), 'domain')
  })

  it("refuses endpoint 'v2' with an endSessionEndpoint", () => {
    expectConfigError(
      () => buildLogoutUrl({ endSessionEndpoint: 'https://login.example.org/session/end', clientId: CLIENT_ID, endpoint: 'v2' }),
      'endpoint',
    )
  })
})
