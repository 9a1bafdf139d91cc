// authcode/api against the tokens of providers other than Auth0: Google, Okta, Microsoft Entra ID, AWS Cognito.
// Each provider is an injected fetch serving its discovery document and JWKS, counting the requests it gets.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose'
import {
  ConfigError,
  IdTokenError,
  InsufficientScopeError,
  InvalidTokenError,
  LogoutTokenError,
  createAccessTokenVerifier,
  requireScopes,
  verifyIdToken,
  verifyLogoutToken,
  type AccessTokenVerifierOptions,
  type JwksCache,
} from 'authcode/api'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'

afterEach(() => {
  vi.useRealTimers()
})

const signer = (async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'provider-key', alg: 'RS256', use: 'sig' } as JWK }
})()

/** A provider whose discovery document (at the issuer's well-known path) names `named`. */
function provider(discoveryBase: string, named: string) {
  const base = discoveryBase.endsWith('/') ? discoveryBase : `${discoveryBase}/`
  const discoveryUrl = `${base}.well-known/openid-configuration`
  const jwksUri = `${base}keys`
  const requests: string[] = []
  const fetch = (async (input: RequestInfo | URL) => {
    const url = input instanceof Request ? input.url : String(input)
    requests.push(url)
    if (url === discoveryUrl) return Response.json({ issuer: named, jwks_uri: jwksUri })
    if (url === jwksUri) return Response.json({ keys: [(await signer).jwk] })
    return new Response('not found', { status: 404 })
  }) as typeof globalThis.fetch
  return {
    fetch,
    discoveries: () => requests.filter((u) => u === discoveryUrl).length,
    jwksRequests: () => requests.filter((u) => u === jwksUri).length,
  }
}

async function sign(claims: Record<string, unknown>, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  const s = await signer
  const payload: Record<string, unknown> = { ...claims }
  for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key]
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'RS256', kid: 'provider-key', ...header }).sign(s.privateKey)
}

const API = 'api://contacts'

function accessClaims(iss: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss, sub: 'user-1', aud: API, iat: now(), exp: now() + 3600, ...extra }
}

describe('issuers spelled without a trailing slash (Google, Okta)', () => {
  it.each([
    ['Google', 'https://accounts.google.com'],
    ['Okta', 'https://dev-123456.okta.com'],
  ])('%s: verifies access tokens whose iss is the discovery document’s spelling, whichever spelling is configured', async (_name, issuer) => {
    for (const configured of [issuer, `${issuer}/`]) {
      const idp = provider(issuer, issuer)
      const verify = createAccessTokenVerifier({ issuer: configured, audience: API, fetch: idp.fetch })
      const claims = await verify(await sign(accessClaims(issuer), { typ: 'JWT' }))
      expect(claims.iss).toBe(issuer)
      // The other spelling is another issuer.
      const slashed = await sign(accessClaims(`${issuer}/`))
      const err = await rejection(verify(slashed))
      expect(err).toBeInstanceOf(InvalidTokenError)
      expect((err as InvalidTokenError).message).toMatch(/"iss"/)
      expect(idp.discoveries()).toBe(1)
      expect(idp.jwksRequests()).toBe(1)
    }
  })

  it('verifies Google ID tokens through verifyIdToken with either spelling configured, and refuses iss with a slash', async () => {
    const issuer = 'https://accounts.google.com'
    for (const configured of [issuer, `${issuer}/`]) {
      const idp = provider(issuer, issuer)
      const options = { issuer: configured, clientId: 'client-1.apps.googleusercontent.com', fetch: idp.fetch }
      const claims = { iss: issuer, sub: '1100', aud: options.clientId, iat: now(), exp: now() + 3600 }
      await expect(verifyIdToken(await sign(claims, { typ: 'JWT' }), options)).resolves.toMatchObject({ iss: issuer })
      await expect(verifyIdToken(await sign({ ...claims, iss: `${issuer}/` }), options)).rejects.toBeInstanceOf(IdTokenError)
      expect(idp.discoveries()).toBe(1)
    }
  })

  it('verifies Okta logout tokens through verifyLogoutToken with either spelling configured', async () => {
    const issuer = 'https://dev-123456.okta.com'
    for (const configured of [issuer, `${issuer}/`]) {
      const idp = provider(issuer, issuer)
      const options = { issuer: configured, clientId: '0oa1', fetch: idp.fetch }
      const claims = {
        iss: issuer,
        aud: '0oa1',
        iat: now(),
        jti: crypto.randomUUID(),
        sid: 'sid-1',
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      }
      await expect(verifyLogoutToken(await sign(claims, { typ: 'logout+jwt' }), options)).resolves.toMatchObject({ sid: 'sid-1' })
      const slashed = await sign({ ...claims, iss: `${issuer}/`, jti: crypto.randomUUID() }, { typ: 'logout+jwt' })
      await expect(verifyLogoutToken(slashed, options)).rejects.toBeInstanceOf(LogoutTokenError)
    }
  })

  it('keeps an issuer with a path exact: configured with a trailing slash the discovery document lacks, it names what to configure', async () => {
    const issuer = 'https://dev-123456.okta.com/oauth2/default'
    const idp = provider(issuer, issuer)
    const verify = createAccessTokenVerifier({ issuer: `${issuer}/`, audience: API, fetch: idp.fetch })
    const err = await rejection(verify(await sign(accessClaims(issuer))))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe('issuer')
    expect((err as ConfigError).message).toContain(`"${issuer}"`)
    await expect(createAccessTokenVerifier({ issuer, audience: API, fetch: provider(issuer, issuer).fetch })(await sign(accessClaims(issuer)))).resolves.toMatchObject({ iss: issuer })
  })

  it('keeps the discovered issuer in the jwksCache, so a cold start with a fresh cache makes no request at all', async () => {
    const issuer = 'https://accounts.google.com'
    const first = provider(issuer, issuer)
    const jwksCache: JwksCache = {}
    await createAccessTokenVerifier({ issuer: `${issuer}/`, audience: API, fetch: first.fetch, jwksCache })(await sign(accessClaims(issuer)))
    expect(jwksCache.issuer).toBe(issuer)

    const cold = provider(issuer, issuer)
    const verify = createAccessTokenVerifier({ issuer, audience: API, fetch: cold.fetch, jwksCache: JSON.parse(JSON.stringify(jwksCache)) as JwksCache })
    await expect(verify(await sign(accessClaims(issuer)))).resolves.toMatchObject({ iss: issuer })
    await expect(verify(await sign(accessClaims(`${issuer}/`)))).rejects.toBeInstanceOf(InvalidTokenError)
    expect(cold.discoveries() + cold.jwksRequests()).toBe(0)
  })

  it('discovers the issuer once when a fresh jwksCache does not name it, without refetching the keys', async () => {
    const issuer = 'https://accounts.google.com'
    const idp = provider(issuer, issuer)
    const jwksCache: JwksCache = { jwks: { keys: [(await signer).jwk as Record<string, unknown>] }, uat: Date.now() }
    const verify = createAccessTokenVerifier({ issuer: `${issuer}/`, audience: API, fetch: idp.fetch, jwksCache })
    const token = await sign(accessClaims(issuer))
    await Promise.all([verify(token), verify(token), verify(token)])
    await expect(verify(await sign(accessClaims(`${issuer}/`)))).rejects.toBeInstanceOf(InvalidTokenError)
    expect(idp.discoveries()).toBe(1)
    expect(idp.jwksRequests()).toBe(0)
  })

  it('ignores a jwksCache issuer that is not the configured one', async () => {
    const issuer = 'https://accounts.google.com'
    const idp = provider(issuer, issuer)
    const jwksCache: JwksCache = { jwks: { keys: [(await signer).jwk as Record<string, unknown>] }, uat: Date.now(), issuer: 'https://evil.example' }
    const verify = createAccessTokenVerifier({ issuer, audience: API, fetch: idp.fetch, jwksCache })
    await expect(verify(await sign(accessClaims('https://evil.example')))).rejects.toBeInstanceOf(InvalidTokenError)
    await expect(verify(await sign(accessClaims(issuer)))).resolves.toMatchObject({ iss: issuer })
    expect(idp.discoveries()).toBe(1)
  })
})

describe('discovery documents that name another issuer (Microsoft Entra ID)', () => {
  const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'

  it('answers the multi-tenant /common document with a ConfigError naming the issuer to configure, and fetches no keys', async () => {
    const configured = 'https://login.microsoftonline.com/common/v2.0'
    const idp = provider(configured, 'https://login.microsoftonline.com/{tenantid}/v2.0')
    const err = await rejection(createAccessTokenVerifier({ issuer: configured, audience: API, fetch: idp.fetch })(await sign(accessClaims(configured))))
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).not.toBeInstanceOf(InvalidTokenError)
    const message = (err as ConfigError).message
    expect((err as ConfigError).field).toBe('issuer')
    expect(message).toContain('https://login.microsoftonline.com/{tenantid}/v2.0')
    expect(message).toContain(configured)
    expect(message).toContain('https://login.microsoftonline.com/<tenant-id>/v2.0')
    expect(idp.jwksRequests()).toBe(0)
  })

  it('answers a tenant URL without /v2.0 (whose document names sts.windows.net) with the v2.0 issuer to configure', async () => {
    const configured = `https://login.microsoftonline.com/${TENANT}`
    const idp = provider(configured, `https://sts.windows.net/${TENANT}/`)
    const err = await rejection(createAccessTokenVerifier({ issuer: configured, audience: API, fetch: idp.fetch })(await sign(accessClaims(configured))))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toContain(`https://sts.windows.net/${TENANT}/`)
    expect((err as ConfigError).message).toContain(`https://login.microsoftonline.com/${TENANT}/v2.0`)
  })

  it('gives verifyIdToken the same ConfigError', async () => {
    const configured = 'https://login.microsoftonline.com/organizations/v2.0'
    const idp = provider(configured, 'https://login.microsoftonline.com/{tenantid}/v2.0')
    const token = await sign({ iss: configured, sub: 's', aud: 'c', iat: now(), exp: now() + 60 })
    const err = await rejection(verifyIdToken(token, { issuer: configured, clientId: 'c', fetch: idp.fetch }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toContain('https://login.microsoftonline.com/{tenantid}/v2.0')
  })

  it('echoes at most 200 characters of a long issuer', async () => {
    const configured = 'https://idp.example.com'
    const long = `https://idp.example.org/${'x'.repeat(1000)}`
    const err = await rejection(createAccessTokenVerifier({ issuer: configured, audience: API, fetch: provider(configured, long).fetch })(await sign(accessClaims(configured))))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).not.toContain('x'.repeat(201))
    expect((err as ConfigError).message.length).toBeLessThan(700)
  })

  it('verifies tokens of a tenant configured as its v2.0 issuer', async () => {
    const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`
    const verify = createAccessTokenVerifier({ issuer, audience: API, fetch: provider(issuer, issuer).fetch })
    await expect(verify(await sign(accessClaims(issuer, { scp: 'Contacts.Read' }), { typ: 'JWT' }), { requiredScopes: ['Contacts.Read'] })).resolves.toMatchObject({ iss: issuer })
  })
})

describe('scopes in "scp" (Entra ID, Okta)', () => {
  it('reads a space-separated scp string (Entra ID)', () => {
    expect(() => requireScopes({ scp: 'Contacts.Read Contacts.Write' }, ['Contacts.Read', 'Contacts.Write'])).not.toThrow()
    expect(() => requireScopes({ scp: 'Contacts.Read' }, ['Contacts.Write'])).toThrow(InsufficientScopeError)
  })

  it('reads an scp array (Okta) and a scope array', () => {
    expect(() => requireScopes({ scp: ['openid', 'contacts:read'] }, ['contacts:read'])).not.toThrow()
    expect(() => requireScopes({ scp: ['openid', 'contacts:read'] }, ['contacts:write'])).toThrow(InsufficientScopeError)
    expect(() => requireScopes({ scope: ['contacts:read'] }, ['contacts:read'])).not.toThrow()
  })

  it('grants the union of scope, scp and permissions, and matches whole scopes only', () => {
    expect(() => requireScopes({ scope: 'a', scp: 'b', permissions: ['c'] }, ['a', 'b', 'c'])).not.toThrow()
    expect(() => requireScopes({ scp: 'contacts:read-all' }, ['contacts:read'])).toThrow(InsufficientScopeError)
    expect(() => requireScopes({ scp: 42 }, ['42'])).toThrow(InsufficientScopeError)
  })

  it('checks requiredScopes against an Okta access token’s scp array', async () => {
    const issuer = 'https://dev-123456.okta.com/oauth2/default'
    const verify = createAccessTokenVerifier({ issuer, audience: API, fetch: provider(issuer, issuer).fetch })
    const token = await sign(accessClaims(issuer, { scp: ['openid', 'contacts:read'], cid: '0oa1' }), { typ: 'JWT' })
    const claims = await verify(token, { requiredScopes: ['contacts:read'] })
    expect(claims.scp).toEqual(['openid', 'contacts:read'])
    await expect(verify(token, { requiredScopes: ['contacts:write'] })).rejects.toBeInstanceOf(InsufficientScopeError)
  })
})

describe('access tokens without "aud" (AWS Cognito)', () => {
  const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI'
  const CLIENT = '3n4b5urk1ft4fl3mg5e62d9ado'

  /** A Cognito access token: no aud, client_id and token_use "access", no typ header. */
  function cognitoAccess(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { iss: ISSUER, sub: 'aaaa-bbbb', client_id: CLIENT, token_use: 'access', scope: 'contacts/read', iat: now(), exp: now() + 3600, jti: 'j1', ...extra }
  }

  function cognitoVerifier(extra: Partial<AccessTokenVerifierOptions> = {}) {
    return createAccessTokenVerifier({ issuer: ISSUER, clientId: CLIENT, fetch: provider(ISSUER, ISSUER).fetch, ...extra } as AccessTokenVerifierOptions)
  }

  it('verifies a Cognito access token by its client_id when clientId is given instead of audience', async () => {
    const verify = cognitoVerifier()
    const claims = await verify(await sign(cognitoAccess()), { requiredScopes: ['contacts/read'] })
    expect(claims.client_id).toBe(CLIENT)
    expect(claims.aud).toBeUndefined()
    await expect(verify(await sign(cognitoAccess(), { typ: 'JWT' }))).resolves.toMatchObject({ token_use: 'access' })
  })

  it('accepts any one of several client ids', async () => {
    const verify = cognitoVerifier({ clientId: ['other-client', CLIENT] })
    await expect(verify(await sign(cognitoAccess()))).resolves.toMatchObject({ client_id: CLIENT })
  })

  it('refuses a token for another app client, or with no client_id, naming "client_id"', async () => {
    const verify = cognitoVerifier()
    for (const client_id of ['another-client', undefined, [CLIENT]]) {
      const err = await rejection(verify(await sign(cognitoAccess({ client_id }))))
      expect(err).toBeInstanceOf(InvalidTokenError)
      expect((err as InvalidTokenError).message).toMatch(/"client_id"/)
    }
  })

  it('refuses a Cognito ID token (token_use "id") whichever option is used', async () => {
    const idToken = await sign({ iss: ISSUER, sub: 'aaaa-bbbb', aud: CLIENT, token_use: 'id', iat: now(), exp: now() + 3600, client_id: CLIENT })
    for (const verify of [cognitoVerifier(), cognitoVerifier({ clientId: undefined, audience: CLIENT }), cognitoVerifier({ audience: CLIENT })]) {
      const err = await rejection(verify(idToken))
      expect(err).toBeInstanceOf(InvalidTokenError)
      expect((err as InvalidTokenError).message).toMatch(/"token_use"/)
    }
  })

  it('checks both aud and client_id when both options are given', async () => {
    const verify = cognitoVerifier({ audience: API })
    await expect(verify(await sign(cognitoAccess({ aud: API })))).resolves.toMatchObject({ aud: API })
    const noAud = await rejection(verify(await sign(cognitoAccess())))
    expect((noAud as InvalidTokenError).message).toMatch(/"aud"/)
    const otherClient = await rejection(verify(await sign(cognitoAccess({ aud: API, client_id: 'another-client' }))))
    expect((otherClient as InvalidTokenError).message).toMatch(/"client_id"/)
  })

  it('still requires aud when only audience is given', async () => {
    const err = await rejection(cognitoVerifier({ clientId: undefined, audience: API })(await sign(cognitoAccess())))
    expect((err as InvalidTokenError).message).toMatch(/"aud"/)
  })

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['neither audience nor clientId', { clientId: undefined }, 'audience', /"clientId"/],
    ['an empty clientId', { clientId: '' }, 'clientId', /non-empty/],
    ['an empty clientId list', { clientId: [] }, 'clientId', /non-empty/],
  ])('throws ConfigError for %s', (_name, extra, field, message) => {
    let caught: unknown
    try {
      createAccessTokenVerifier({ issuer: ISSUER, clientId: CLIENT, ...extra } as unknown as AccessTokenVerifierOptions)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).field).toBe(field)
    expect((caught as ConfigError).message).toMatch(message)
  })
})
