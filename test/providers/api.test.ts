// authcode/api against each provider's real token shapes: access tokens (aud, scope/scp/
// permissions, Cognito's client_id and token_use) and ID tokens, with the issuer configured as
// the provider spells it and with its trailing slash toggled.
import { beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, IdTokenError, InsufficientScopeError, InvalidTokenError, createAccessTokenVerifier, verifyIdToken } from 'authcode/api'
import { otherIssuer, rejection, spellings } from './flow.js'
import { AUTH0_CUSTOM_DOMAIN, AUTH0_TENANT, COGNITO, ENTRA, GOOGLE, KEYCLOAK, OKTA_CUSTOM, PROFILES } from './profiles/index.js'
import { type StandIn, createStandIn } from './stand-in.js'

const JWT_ACCESS_TOKENS = [AUTH0_TENANT, AUTH0_CUSTOM_DOMAIN, ENTRA, OKTA_CUSTOM, KEYCLOAK]

describe.each(JWT_ACCESS_TOKENS)('$name access tokens', (profile) => {
  const api = profile.api!
  let s: StandIn
  beforeEach(async () => {
    s = await createStandIn(profile)
  })

  it.each(spellings(profile.issuer))('verifies one with the issuer configured as %s', async (issuer) => {
    const verify = createAccessTokenVerifier({ issuer, audience: api.audience, algorithms: ['RS256'], fetch: s.fetch })
    const token = await s.mint('access')
    const claims = await verify(`Bearer ${token}`)
    expect(claims.iss).toBe(profile.issuer)
    expect(claims.aud === api.audience || (Array.isArray(claims.aud) && claims.aud.includes(api.audience))).toBe(true)
    // Only the provider's documents and keys were asked for.
    expect(s.received.map((r) => r.endpoint)).toEqual([profile.discoveryUrl, profile.metadata.jwks_uri])
  })

  it(`finds the granted scope "${api.grantedScope}" in the provider's own scope claim, and refuses one it does not grant`, async () => {
    const verify = createAccessTokenVerifier({ issuer: profile.issuer, audience: api.audience, algorithms: ['RS256'], fetch: s.fetch })
    const token = await s.mint('access')
    await expect(verify(token, { requiredScopes: [api.grantedScope] })).resolves.toMatchObject({ iss: profile.issuer })
    const err = await rejection(verify(token, { requiredScopes: [api.grantedScope, 'contacts:delete-all'] }))
    expect(err).toBeInstanceOf(InsufficientScopeError)
  })

  it('refuses a token for another API', async () => {
    const verify = createAccessTokenVerifier({ issuer: profile.issuer, audience: 'https://other-api.example.com', algorithms: ['RS256'], fetch: s.fetch })
    expect(await rejection(verify(await s.mint('access')))).toBeInstanceOf(InvalidTokenError)
  })
})

describe('Auth0 access tokens', () => {
  let s: StandIn
  beforeEach(async () => {
    s = await createStandIn(AUTH0_TENANT)
  })

  it('verifies one with a domain config, keys from /.well-known/jwks.json without discovery', async () => {
    const verify = createAccessTokenVerifier({ domain: 'dev-abc123.us.auth0.com', audience: 'https://api.example.com', fetch: s.fetch })
    const claims = await verify(await s.mint('access'))
    expect(claims).toMatchObject({ iss: 'https://dev-abc123.us.auth0.com/', azp: AUTH0_TENANT.client.id })
    expect(s.received.map((r) => r.endpoint)).toEqual(['https://dev-abc123.us.auth0.com/.well-known/jwks.json'])
  })

  it('takes a permission granted through RBAC (the permissions claim) as a scope', async () => {
    const verify = createAccessTokenVerifier({ domain: 'dev-abc123.us.auth0.com', audience: 'https://api.example.com', fetch: s.fetch })
    const token = await s.mint('access')
    // delete:contacts is in permissions only, not in scope.
    await expect(verify(token, { requiredScopes: ['delete:contacts'] })).resolves.toMatchObject({ permissions: expect.arrayContaining(['delete:contacts']) })
  })
})

describe('Microsoft Entra ID access tokens', () => {
  it('reads scp, a space-separated string, for every scope it names', async () => {
    const s = await createStandIn(ENTRA)
    const verify = createAccessTokenVerifier({ issuer: ENTRA.issuer, audience: ENTRA.api!.audience, fetch: s.fetch })
    const token = await s.mint('access')
    await expect(verify(token, { requiredScopes: ['access_as_user', 'Contacts.Read'] })).resolves.toMatchObject({ scp: 'access_as_user Contacts.Read', ver: '2.0' })
    // Not a substring match on the string.
    expect(await rejection(verify(token, { requiredScopes: ['Contacts'] }))).toBeInstanceOf(InsufficientScopeError)
  })
})

describe('Okta custom authorization server access tokens', () => {
  it('reads scp, an array, for every scope it lists', async () => {
    const s = await createStandIn(OKTA_CUSTOM)
    const verify = createAccessTokenVerifier({ issuer: OKTA_CUSTOM.issuer, audience: 'api://default', fetch: s.fetch })
    const token = await s.mint('access')
    await expect(verify(token, { requiredScopes: ['openid', 'contacts:read'] })).resolves.toMatchObject({ cid: OKTA_CUSTOM.client.id, ver: 1 })
  })
})

describe('Amazon Cognito access tokens (no aud: client_id and token_use instead)', () => {
  let s: StandIn
  beforeEach(async () => {
    s = await createStandIn(COGNITO)
  })
  const verifier = (fetch: typeof globalThis.fetch, clientId = COGNITO.client.id) => createAccessTokenVerifier({ issuer: COGNITO.issuer, clientId, fetch })

  it('verifies one by its client_id, with the keys of the access-token kid', async () => {
    const claims = await verifier(s.fetch)(await s.mint('access'), { requiredScopes: ['https://api.example.com/contacts.read'] })
    expect(claims).toMatchObject({ iss: COGNITO.issuer, client_id: COGNITO.client.id, token_use: 'access', username: 'jane' })
  })

  it('refuses an access token issued to another app client of the same pool', async () => {
    const token = await s.mint('access', { claims: { client_id: '3n4b5urk1ft4fl3mg5e62e8d9q' } })
    expect(await rejection(verifier(s.fetch)(token))).toBeInstanceOf(InvalidTokenError)
  })

  it('refuses a Cognito ID token as an access token, though its signature is fine', async () => {
    const idToken = await s.mint('id')
    await expect(verifyIdToken(idToken, { issuer: COGNITO.issuer, clientId: COGNITO.client.id, fetch: s.fetch })).resolves.toMatchObject({ token_use: 'id' })
    expect(await rejection(verifier(s.fetch)(idToken))).toBeInstanceOf(InvalidTokenError)
  })

  it('refuses an ID token even when a pre-token-generation trigger added client_id to it (token_use is "id")', async () => {
    const idToken = await s.mint('id', { claims: { client_id: COGNITO.client.id } })
    expect(await rejection(verifier(s.fetch)(idToken))).toBeInstanceOf(InvalidTokenError)
  })

  it('is a ConfigError naming clientId when neither audience nor clientId is given', () => {
    const make = () => createAccessTokenVerifier({ issuer: COGNITO.issuer, fetch: s.fetch } as Parameters<typeof createAccessTokenVerifier>[0])
    expect(make).toThrow(ConfigError)
    expect(make).toThrow(/clientId/)
  })
})

describe('Google access tokens', () => {
  it('are opaque: the access-token verifier refuses them without a request (verify the ID token instead)', async () => {
    const s = await createStandIn(GOOGLE)
    const verify = createAccessTokenVerifier({ issuer: GOOGLE.issuer, audience: GOOGLE.client.id, fetch: s.fetch })
    expect(await rejection(verify(`ya29.a0${'A'.repeat(160)}`))).toBeInstanceOf(InvalidTokenError)
    expect(s.received).toEqual([])
  })
})

describe.each(PROFILES)('$name ID tokens', (profile) => {
  let s: StandIn
  beforeEach(async () => {
    s = await createStandIn(profile)
  })

  it.each(spellings(profile.issuer))('are verified by verifyIdToken with the issuer configured as %s', async (issuer) => {
    const claims = await verifyIdToken(await s.mint('id'), { issuer, clientId: profile.client.id, fetch: s.fetch })
    expect(claims).toMatchObject({ iss: profile.issuer, sub: profile.user.sub })
  })

  it('are refused for another client', async () => {
    const err = await rejection(verifyIdToken(await s.mint('id'), { issuer: profile.issuer, clientId: 'another-client', fetch: s.fetch }))
    expect(err).toBeInstanceOf(IdTokenError)
  })
})

describe.each(PROFILES.filter((p) => otherIssuer(p.issuer) !== undefined))('$name, an issuer with a path', (profile) => {
  it('refuses the other trailing-slash spelling, on access and ID tokens alike, naming the issuer to configure', async () => {
    const s = await createStandIn(profile)
    const wrong = otherIssuer(profile.issuer)!
    const idToken = await s.mint('id')
    const accessToken = await s.mint('access')
    const attempts = [
      () => verifyIdToken(idToken, { issuer: wrong, clientId: profile.client.id, fetch: s.fetch }),
      () => createAccessTokenVerifier({ issuer: wrong, clientId: profile.client.id, audience: 'x', fetch: s.fetch })(accessToken),
    ]
    for (const attempt of attempts) {
      const err = await rejection(attempt())
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).field).toBe('issuer')
      expect((err as ConfigError).message).toContain(`configure "${profile.issuer}"`)
    }
  })
})

describe('Auth0 ID tokens with a domain config', () => {
  it('are verified with keys from the fixed JWKS path', async () => {
    const s = await createStandIn(AUTH0_CUSTOM_DOMAIN)
    const claims = await verifyIdToken(await s.mint('id'), { domain: 'login.example.com', clientId: AUTH0_CUSTOM_DOMAIN.client.id, fetch: s.fetch })
    expect(claims.iss).toBe('https://login.example.com/')
  })
})
