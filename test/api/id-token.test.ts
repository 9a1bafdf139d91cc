// verifyIdToken: ID tokens received from elsewhere, checked in full (signature, claims, organizations, custom claims).
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { SignJWT, UnsecuredJWT, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { z } from 'zod'
import {
  ConfigError,
  IdTokenError,
  InvalidTokenError,
  NetworkError,
  LogoutTokenError,
  ResponseError,
  verifyIdToken,
  verifyLogoutToken,
  type StandardSchemaV1,
  type VerifyIdTokenOptions,
} from 'authcode/api'
import { HttpResponse, http, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { type Signer, makeSigner, now, flipSignature } from '../helpers/signers.js'

const log = useMockServer()

// verifyIdToken keeps one key set per JWKS URL for the whole process, so this file serves the
// same keys at DOMAIN in every test and uses other domains where a test needs its own JWKS.
const DOMAIN = 'id-tenant.auth0.example'
const ISSUER = `https://${DOMAIN}/`
const JWKS_URL = `https://${DOMAIN}/.well-known/jwks.json`
const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'
const NONCE = 'n-0S6_WzA2Mj'

const signers = (async () => ({
  a: await makeSigner('id-key-a'),
  impostor: await makeSigner('id-key-a'),
  unpublished: await makeSigner('id-key-unpublished'),
}))()

beforeEach(async () => {
  const s = await signers
  server.use(http.get(JWKS_URL, () => HttpResponse.json({ keys: [s.a.jwk] })))
})

/** An Auth0 ID token's claims for CLIENT_ID; `extra` overrides (undefined removes). */
function idClaims(extra: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
    aud: CLIENT_ID,
    iat: now(),
    exp: now() + 36000,
    nonce: NONCE,
    name: 'Jane Doe',
    ...extra,
  }
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key]
  return claims as JWTPayload
}

async function signIdToken(extra: Record<string, unknown> = {}, signer?: Signer, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  const key = signer ?? (await signers).a
  return new SignJWT(idClaims(extra)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey)
}

type OptionOverrides = { [K in keyof VerifyIdTokenOptions]?: VerifyIdTokenOptions[K] | undefined }

/** Options for DOMAIN, CLIENT_ID and NONCE; `extra` overrides (undefined removes). */
function options(extra: OptionOverrides = {}): VerifyIdTokenOptions {
  const merged: Record<string, unknown> = { domain: DOMAIN, clientId: CLIENT_ID, nonce: NONCE, ...extra }
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key]
  return merged as unknown as VerifyIdTokenOptions
}

/** verifyIdToken refuses the token with an IdTokenError whose message matches, and that never shows the token. */
async function expectIdTokenError(token: string, opts: VerifyIdTokenOptions<StandardSchemaV1 | undefined>, message: RegExp): Promise<IdTokenError> {
  const err = await rejection(verifyIdToken(token, opts))
  expect(err).toBeInstanceOf(IdTokenError)
  const idErr = err as IdTokenError
  expect(idErr.code).toBe('ERR_ID_TOKEN')
  expect(idErr.message).toMatch(message)
  const pieces = [token, ...token.split('.').filter((p) => p.length >= 16)]
  for (const text of [idErr.message, String(idErr), JSON.stringify(idErr), idErr.stack ?? '']) {
    for (const piece of pieces) expect(text).not.toContain(piece)
  }
  return idErr
}

describe('verifyIdToken with an Auth0 domain: valid tokens', () => {
  it('returns the claims of a valid ID token with the expected nonce', async () => {
    const claims = await verifyIdToken(await signIdToken(), options())
    expect(claims.iss).toBe(ISSUER)
    expect(claims.aud).toBe(CLIENT_ID)
    expect(claims.nonce).toBe(NONCE)
    expect(claims.name).toBe('Jane Doe')
  })

  it('does not refetch the JWKS for every verification', async () => {
    await verifyIdToken(await signIdToken(), options())
    await verifyIdToken(await signIdToken(), options())
    await verifyIdToken(await signIdToken(), options())
    expect(log.filter((r) => r.url.href === JWKS_URL).length).toBeLessThanOrEqual(1)
  })

  it('accepts an aud array with this client and azp naming it', async () => {
    const claims = await verifyIdToken(await signIdToken({ aud: [CLIENT_ID, 'https://api.example.com'], azp: CLIENT_ID }), options())
    expect(claims.azp).toBe(CLIENT_ID)
  })

  it('accepts a one-element aud array without azp', async () => {
    await expect(verifyIdToken(await signIdToken({ aud: [CLIENT_ID] }), options())).resolves.toMatchObject({ aud: [CLIENT_ID] })
  })

  it('accepts a recent auth_time under maxAge', async () => {
    const claims = await verifyIdToken(await signIdToken({ auth_time: now() - 30 }), options({ maxAge: 300 }))
    expect(typeof claims.auth_time).toBe('number')
  })

  it('does not check the nonce when none is given', async () => {
    await expect(verifyIdToken(await signIdToken({ nonce: undefined }), options({ nonce: undefined }))).resolves.toMatchObject({ iss: ISSUER })
  })

  it('uses a custom fetch for the keys', async () => {
    const s = await signers
    const domain = 'fetch-tenant.auth0.example'
    const fetchSpy = vi.fn(async () => Response.json({ keys: [s.a.jwk] }))
    const token = await signIdToken({ iss: `https://${domain}/` })
    await verifyIdToken(token, options({ domain, fetch: fetchSpy as unknown as typeof fetch }))
    expect(fetchSpy).toHaveBeenCalledTimes(1)
    expect(log.filter((r) => r.url.host === domain)).toHaveLength(0)
  })

  it('finds the keys through discovery when given an issuer', async () => {
    const s = await signers
    const issuer = 'https://login.example.org/tenant-id'
    const jwksUri = 'https://keys.example.org/tenant-id/keys'
    server.use(
      http.get(`${issuer}/.well-known/openid-configuration`, () => HttpResponse.json({ issuer, jwks_uri: jwksUri })),
      http.get(jwksUri, () => HttpResponse.json({ keys: [s.a.jwk] })),
    )
    const claims = await verifyIdToken(await signIdToken({ iss: issuer }), { issuer, clientId: CLIENT_ID, nonce: NONCE })
    expect(claims.iss).toBe(issuer)
  })
})

describe('verifyIdToken: refused tokens', () => {
  it('refuses a nonce that does not match', async () => {
    await expectIdTokenError(await signIdToken({ nonce: 'another-nonce' }), options(), /"nonce"/)
  })

  it('refuses a token without a nonce when one was sent', async () => {
    await expectIdTokenError(await signIdToken({ nonce: undefined }), options(), /"nonce"/)
  })

  it('refuses a token for another client (aud)', async () => {
    await expectIdTokenError(await signIdToken({ aud: 'another-client-id' }), options(), /"aud"/)
  })

  it('refuses an aud array without azp', async () => {
    await expectIdTokenError(await signIdToken({ aud: [CLIENT_ID, 'another-client-id'] }), options(), /"azp"/)
  })

  it('refuses an aud array whose azp is another client', async () => {
    await expectIdTokenError(await signIdToken({ aud: [CLIENT_ID, 'another-client-id'], azp: 'another-client-id' }), options(), /"azp"/)
  })

  it('refuses an aud array that does not contain this client', async () => {
    await expectIdTokenError(await signIdToken({ aud: ['a-client', 'b-client'], azp: 'a-client' }), options(), /"aud"/)
  })

  it('refuses an expired token (beyond the 60 s tolerance)', async () => {
    await expectIdTokenError(await signIdToken({ iat: now() - 7200, exp: now() - 120 }), options(), /expired/)
  })

  it('accepts a token expired for 30 s (within the default 60 s tolerance), not with tolerance 0', async () => {
    const token = await signIdToken({ iat: now() - 600, exp: now() - 30 })
    await expect(verifyIdToken(token, options())).resolves.toMatchObject({ iss: ISSUER })
    await expectIdTokenError(token, options({ clockToleranceSeconds: 0 }), /expired/)
  })

  it('refuses a token from another issuer', async () => {
    await expectIdTokenError(await signIdToken({ iss: 'https://evil-tenant.auth0.example/' }), options(), /"iss"/)
  })

  it('refuses a token without iat', async () => {
    await expectIdTokenError(await signIdToken({ iat: undefined }), options(), /"iat"/)
  })

  it('refuses an old auth_time under maxAge', async () => {
    await expectIdTokenError(await signIdToken({ auth_time: now() - 3600 }), options({ maxAge: 300 }), /max_age/)
  })

  it('refuses a missing auth_time when maxAge is given', async () => {
    await expectIdTokenError(await signIdToken(), options({ maxAge: 300 }), /"auth_time"/)
  })

  it('refuses a token whose signature has one character changed', async () => {
    await expectIdTokenError(flipSignature(await signIdToken()), options(), /signature is invalid/)
  })

  it('refuses a token signed by another key that reuses the published kid', async () => {
    await expectIdTokenError(await signIdToken({}, (await signers).impostor), options(), /signature is invalid/)
  })

  it('refuses a token signed with a key the issuer does not publish', async () => {
    await expectIdTokenError(await signIdToken({}, (await signers).unpublished), options(), /does not publish/)
  })

  it('refuses an unsigned token (alg "none")', async () => {
    const token = new UnsecuredJWT(idClaims()).encode()
    await expectIdTokenError(token, options(), /algorithm/)
  })

  it('refuses an HS256 token (symmetric algorithms are not accepted)', async () => {
    const s = await signers
    const token = await new SignJWT(idClaims())
      .setProtectedHeader({ alg: 'HS256', kid: s.a.kid })
      .sign(new TextEncoder().encode(JSON.stringify(s.a.jwk)))
    await expectIdTokenError(token, options(), /algorithm/)
  })

  it('refuses something that is not a JWT', async () => {
    await expectIdTokenError('kq8FjS3t0bE4mZ1pXw9vYc2LnR7uHd6A', options(), /not a signed JWT/)
  })

  it('throws IdTokenError, never InvalidTokenError (that one is for access tokens)', async () => {
    const err = await rejection(verifyIdToken(await signIdToken({ nonce: 'x' }), options()))
    expect(err).not.toBeInstanceOf(InvalidTokenError)
  })
})

describe('verifyIdToken: Auth0 organizations', () => {
  it('accepts a matching org_id for an org_… organization', async () => {
    const claims = await verifyIdToken(await signIdToken({ org_id: 'org_9ybsU1dN2dKfDkBi' }), options({ organization: 'org_9ybsU1dN2dKfDkBi' }))
    expect(claims.org_id).toBe('org_9ybsU1dN2dKfDkBi')
  })

  it('refuses another org_id', async () => {
    await expectIdTokenError(await signIdToken({ org_id: 'org_other' }), options({ organization: 'org_9ybsU1dN2dKfDkBi' }), /"org_id".*does not match/)
  })

  it('refuses a missing org_id', async () => {
    await expectIdTokenError(await signIdToken(), options({ organization: 'org_9ybsU1dN2dKfDkBi' }), /"org_id".*missing/)
  })

  it('accepts org_name matching an organization name case-insensitively (Auth0 lower-cases it)', async () => {
    const claims = await verifyIdToken(await signIdToken({ org_name: 'acme-corp' }), options({ organization: 'Acme-Corp' }))
    expect(claims.org_name).toBe('acme-corp')
  })

  it('refuses another org_name', async () => {
    await expectIdTokenError(await signIdToken({ org_name: 'other-corp' }), options({ organization: 'acme-corp' }), /"org_name".*does not match/)
  })

  it('does not accept an org_id where an organization name was asked for', async () => {
    await expectIdTokenError(await signIdToken({ org_id: 'org_9ybsU1dN2dKfDkBi' }), options({ organization: 'acme-corp' }), /"org_name"/)
  })
})

describe('verifyIdToken: custom claims schema', () => {
  const Profile = z.object({ 'https://example.com/roles': z.array(z.string()), email_verified: z.boolean() })

  it('returns the schema’s claims with the standard ones', async () => {
    const claims = await verifyIdToken(
      await signIdToken({ 'https://example.com/roles': ['admin'], email_verified: true }),
      { ...options(), claims: Profile },
    )
    expect(claims['https://example.com/roles']).toEqual(['admin'])
    expect(claims.email_verified).toBe(true)
    expect(claims.sub).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
  })

  it('refuses claims that do not match, naming the claim', async () => {
    const err = await expectIdTokenError(await signIdToken({ email_verified: 'yes' }), { ...options(), claims: Profile }, /schema/)
    expect(err.message).toContain('https://example.com/roles')
  })
})

describe('verifyIdToken: options and key fetching', () => {
  it('throws ConfigError for an empty clientId, HS256 and a negative maxAge', async () => {
    const token = await signIdToken()
    for (const bad of [options({ clientId: '' }), options({ algorithms: ['HS256'] }), options({ maxAge: -1 }), options({ domain: undefined })]) {
      await expect(verifyIdToken(token, bad)).rejects.toBeInstanceOf(ConfigError)
    }
  })

  it('throws NetworkError when the JWKS endpoint cannot be reached', async () => {
    const domain = 'unreachable-tenant.auth0.example'
    server.use(http.get(`https://${domain}/.well-known/jwks.json`, () => HttpResponse.error()))
    const err = await rejection(verifyIdToken(await signIdToken({ iss: `https://${domain}/` }), options({ domain })))
    expect(err).toBeInstanceOf(NetworkError)
  })

  // As for createAccessTokenVerifier: keys that cannot be fetched are a ResponseError, NetworkError
  // or TimeoutError (try again), never an IdTokenError about the token.
  it('throws ResponseError, not IdTokenError, when the JWKS endpoint answers 500', async () => {
    const domain = 'down-tenant.auth0.example'
    server.use(http.get(`https://${domain}/.well-known/jwks.json`, () => new HttpResponse('oops', { status: 500 })))
    const err = await rejection(verifyIdToken(await signIdToken({ iss: `https://${domain}/` }), options({ domain })))
    expect(err).toBeInstanceOf(ResponseError)
  })
})

describe('verifyIdToken: tokens of another kind', () => {
  const BACKCHANNEL = { 'http://schemas.openid.net/event/backchannel-logout': {} }

  it('accepts an ID token with typ "JWT" (any case), "application/jwt" or no typ (Auth0, Google, Entra ID)', async () => {
    const s = await signers
    for (const typ of ['JWT', 'jwt', 'application/jwt']) {
      await expect(verifyIdToken(await signIdToken({}, s.a, { typ }), options())).resolves.toMatchObject({ iss: ISSUER })
    }
    const untyped = await new SignJWT(idClaims()).setProtectedHeader({ alg: 'RS256', kid: s.a.kid }).sign(s.a.privateKey)
    await expect(verifyIdToken(untyped, options())).resolves.toMatchObject({ iss: ISSUER })
  })

  it('refuses a back-channel logout token (typ logout+jwt, an events claim) signed by the same issuer for the same client', async () => {
    const logoutToken = await signIdToken({ nonce: undefined, jti: 'lt-1', sid: 'sid-1', events: BACKCHANNEL }, undefined, { typ: 'logout+jwt' })
    await expectIdTokenError(logoutToken, options({ nonce: undefined }), /"typ" \(logout\+jwt\) says it is not an ID token/)
  })

  it('refuses a token with an events claim even when its typ is "JWT"', async () => {
    const token = await signIdToken({ nonce: undefined, jti: 'lt-2', sid: 'sid-1', events: BACKCHANNEL })
    await expectIdTokenError(token, options({ nonce: undefined }), /"events"/)
  })

  it.each(['at+jwt', 'application/at+jwt', 'dpop+jwt', 'secevent+jwt'])('refuses typ "%s"', async (typ) => {
    await expectIdTokenError(await signIdToken({}, undefined, { typ }), options(), /"typ"/)
  })

  it('verifyLogoutToken refuses an ID token of the same issuer and client', async () => {
    const idToken = await signIdToken({ jti: 'id-1', sid: 'sid-1' })
    const err = await rejection(verifyLogoutToken(idToken, { domain: DOMAIN, clientId: CLIENT_ID }))
    expect(err).toBeInstanceOf(LogoutTokenError)
    expect((err as LogoutTokenError).message).toMatch(/back-channel logout event/)
    const noNonce = await signIdToken({ jti: 'id-2', sid: 'sid-1', nonce: undefined })
    await expect(verifyLogoutToken(noNonce, { domain: DOMAIN, clientId: CLIENT_ID })).rejects.toBeInstanceOf(LogoutTokenError)
  })
})
