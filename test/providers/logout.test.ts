// buildLogoutUrl(config, params): the provider's discovered end_session_endpoint (OpenID Connect
// RP-initiated logout), Auth0's /oidc/logout or /v2/logout for a domain, a ConfigError for Google.
import { describe, expect, it } from 'vitest'
import { ConfigError, buildLogoutUrl } from 'authcode'
import { configFor, rejection } from './flow.js'
import { AUTH0_CUSTOM_DOMAIN, AUTH0_TENANT, COGNITO, ENTRA, GOOGLE, KEYCLOAK, OKTA_CUSTOM, OKTA_ORG } from './profiles/index.js'
import { createStandIn } from './stand-in.js'

describe.each([ENTRA, OKTA_ORG, OKTA_CUSTOM, KEYCLOAK, COGNITO])('$name logout', (profile) => {
  // AWS Cognito's hosted UI returns to logout_uri; the others to post_logout_redirect_uri.
  const cognito = profile === COGNITO
  it(`goes to the discovered end_session_endpoint ${String(profile.metadata.end_session_endpoint)} with client_id, id_token_hint and post_logout_redirect_uri (and Cognito's logout_uri)`, async () => {
    const s = await createStandIn(profile)
    const idTokenHint = await s.mint('id')
    const url = await buildLogoutUrl(configFor(s), { returnTo: profile.client.logoutUri, idTokenHint })
    expect(url.origin + url.pathname).toBe(profile.metadata.end_session_endpoint)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: profile.client.id,
      id_token_hint: idTokenHint,
      post_logout_redirect_uri: profile.client.logoutUri,
      ...(cognito && { logout_uri: profile.client.logoutUri }),
    })
    expect(s.received.map((r) => r.endpoint)).toEqual([profile.discoveryUrl])
  })
})

describe.each([ENTRA, OKTA_ORG, KEYCLOAK])('$name end_session_endpoint', (profile) => {
  it('sends the user back to the registered logout URL', async () => {
    const s = await createStandIn(profile)
    const url = await buildLogoutUrl(configFor(s), { returnTo: profile.client.logoutUri, idTokenHint: await s.mint('id') })
    expect(s.endSession(url)).toBe(profile.client.logoutUri)
  })
})

describe.each([AUTH0_TENANT, AUTH0_CUSTOM_DOMAIN])('$name logout (domain config)', (profile) => {
  const host = new URL(profile.issuer).host

  it('uses /oidc/logout when an ID token hint is given, without any request', async () => {
    const s = await createStandIn(profile)
    const idTokenHint = await s.mint('id')
    const url = await buildLogoutUrl(configFor(s), { returnTo: profile.client.logoutUri, idTokenHint })
    expect(url.origin + url.pathname).toBe(`https://${host}/oidc/logout`)
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: profile.client.id, id_token_hint: idTokenHint, post_logout_redirect_uri: profile.client.logoutUri })
    expect(s.received).toEqual([])
  })

  it('uses /v2/logout without an ID token hint', async () => {
    const s = await createStandIn(profile)
    const url = await buildLogoutUrl(configFor(s), { returnTo: profile.client.logoutUri })
    expect(url.href).toBe(`https://${host}/v2/logout?client_id=${profile.client.id}&returnTo=${encodeURIComponent(profile.client.logoutUri)}`)
  })
})

describe('Google logout', () => {
  it('is a ConfigError: Google advertises no end_session_endpoint', async () => {
    const s = await createStandIn(GOOGLE)
    const err = await rejection(buildLogoutUrl(configFor(s), { returnTo: GOOGLE.client.logoutUri }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toContain('end_session_endpoint')
  })
})
