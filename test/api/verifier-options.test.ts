// createAccessTokenVerifier: its challenges, required scopes, typed claims, DPoP key types and options.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { z } from 'zod'
import {
  ConfigError,
  InsufficientScopeError,
  InvalidTokenError,
  createAccessTokenVerifier,
  dpopProofs,
  type AccessTokenVerifierOptions,
} from 'authcode/api'
import { useMockServer } from '../helpers/auth0.js'
import { rejection, thrown } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import {
  DOMAIN,
  ISSUER,
  JWKS_URL,
  AUDIENCE,
  signers,
  accessClaims,
  signWith,
  validToken,
  serveDefaultJwks,
  requestCount,
  domainVerifier,
} from '../helpers/api-tenant.js'
import { expectNoTokenIn, expectInvalidToken, parseChallenge } from '../helpers/invalid-token.js'

const log = useMockServer()

afterEach(() => {
  vi.useRealTimers()
})

describe('createAccessTokenVerifier: WWW-Authenticate challenges (RFC 6750)', () => {
  it('gives Bearer error="invalid_token" with the message as error_description', async () => {
    await serveDefaultJwks()
    const token = await validToken({ exp: now() - 3600 })
    const err = await expectInvalidToken(domainVerifier()(token), token, /expired/)
    const challenge = parseChallenge(err.wwwAuthenticate)
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params).toEqual({ error: 'invalid_token', error_description: err.message })
  })

  it.each([undefined, null, '', '   '])('gives a bare "Bearer" challenge when the header is %j (RFC 6750 §3.1)', async (header) => {
    const err = await rejection(domainVerifier()(header))
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect((err as InvalidTokenError).status).toBe(401)
    expect((err as InvalidTokenError).wwwAuthenticate).toBe('Bearer')
  })

  it.each(['Basic abc', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Token abc.def.ghi'])(
    'answers invalid_request for the header %j',
    async (header) => {
      const err = await rejection(domainVerifier()(header))
      expect(err).toBeInstanceOf(InvalidTokenError)
      const invalid = err as InvalidTokenError
      expect(invalid.status).toBe(401)
      expect(parseChallenge(invalid.wwwAuthenticate).params.error).toBe('invalid_request')
      expect(invalid.message).not.toContain('dXNlcjpwYXNz')
    },
  )

  // A header of just "Bearer" has no whitespace once trimmed, and could be read as a raw token;
  // extractBearerToken and RFC 6750 §3.1 make it a malformed request (invalid_request).
  it('answers invalid_request for a header of just "Bearer" (no token)', async () => {
    const err = (await rejection(domainVerifier()('Bearer'))) as InvalidTokenError
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect(parseChallenge(err.wwwAuthenticate).params.error).toBe('invalid_request')
  })

  it('does not put a Basic credential or a malformed bearer value into the error', async () => {
    const token = `${await validToken()} trailing`
    const err = (await rejection(domainVerifier()(`Bearer ${token}`))) as InvalidTokenError
    expect(err).toBeInstanceOf(InvalidTokenError)
    expectNoTokenIn(err, token)
  })

  // RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E in error_description (no '"' and no '\'),
  // and messages such as 'unknown "kid"' quote names.
  it('keeps error_description within the RFC 6750 character set', async () => {
    await serveDefaultJwks()
    const token = await signWith((await signers).unpublished)
    const err = await expectInvalidToken(domainVerifier()(token), token, /kid/)
    const raw = /error_description="(.*)"$/.exec(err.wwwAuthenticate)?.[1] ?? ''
    expect(raw).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/)
  })
})

describe('createAccessTokenVerifier: required scopes', () => {
  it('passes when every required scope is in the "scope" string', async () => {
    await serveDefaultJwks()
    const token = await validToken({ scope: 'openid read:contacts write:contacts' })
    const claims = await domainVerifier()(token, { requiredScopes: ['read:contacts', 'write:contacts'] })
    expect(claims.scope).toBe('openid read:contacts write:contacts')
  })

  it('passes when the scopes are in Auth0 RBAC "permissions"', async () => {
    await serveDefaultJwks()
    const token = await validToken({ scope: undefined, permissions: ['read:contacts', 'delete:contacts'] })
    const claims = await domainVerifier()(token, { requiredScopes: ['delete:contacts'] })
    expect(claims.permissions).toEqual(['read:contacts', 'delete:contacts'])
  })

  it('throws InsufficientScopeError (403) naming the required scopes when one is missing', async () => {
    await serveDefaultJwks()
    const token = await validToken({ scope: 'openid read:contacts', permissions: ['read:reports'] })
    const err = await rejection(domainVerifier()(token, { requiredScopes: ['read:contacts', 'write:contacts'] }))
    expect(err).toBeInstanceOf(InsufficientScopeError)
    const scoped = err as InsufficientScopeError
    expect(scoped.code).toBe('ERR_INSUFFICIENT_SCOPE')
    expect(scoped.status).toBe(403)
    expect(scoped.requiredScopes).toEqual(['read:contacts', 'write:contacts'])
    const challenge = parseChallenge(scoped.wwwAuthenticate)
    expect(challenge.scheme).toBe('Bearer')
    expect(challenge.params.error).toBe('insufficient_scope')
    expect(challenge.params.scope).toBe('read:contacts write:contacts')
    expect(scoped.wwwAuthenticate).toContain('error="insufficient_scope"')
    expect(scoped.wwwAuthenticate).toContain('scope="read:contacts write:contacts"')
    expectNoTokenIn(scoped, token)
  })

  it('does not match a scope by prefix or substring', async () => {
    await serveDefaultJwks()
    const token = await validToken({ scope: 'read:contacts-archive xread:contacts', permissions: ['read:contact'] })
    await expect(domainVerifier()(token, { requiredScopes: ['read:contacts'] })).rejects.toBeInstanceOf(InsufficientScopeError)
  })

  it('checks the token before the scopes: an expired token without the scope is a 401, not a 403', async () => {
    await serveDefaultJwks()
    const token = await validToken({ exp: now() - 3600, scope: 'openid' })
    await expectInvalidToken(domainVerifier()(token, { requiredScopes: ['read:contacts'] }), token, /expired/)
  })

  it('passes an empty requiredScopes list', async () => {
    await serveDefaultJwks()
    const token = await validToken({ scope: undefined })
    await expect(domainVerifier()(token, { requiredScopes: [] })).resolves.toMatchObject({ iss: ISSUER })
  })
})

describe('createAccessTokenVerifier: DPoP proofs with each key type', () => {
  it.each(['ES256', 'RS256', 'PS256', 'EdDSA'] as const)('accepts a proof signed with a %s key whose RFC 7638 thumbprint (as jose computes it) is the cnf.jkt', async (alg) => {
    await serveDefaultJwks()
    const proofKey = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {})
    const jwk = await exportJWK(proofKey.publicKey)
    const token = await validToken({ cnf: { jkt: await calculateJwkThumbprint(jwk) } })
    const url = 'https://api.example.com/contacts'
    const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString('base64url')
    const proof = await new SignJWT({ htm: 'GET', htu: url, iat: now(), jti: crypto.randomUUID(), ath })
      .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
      .sign(proofKey.privateKey)
    await expect(domainVerifier({ dpop: dpopProofs() })(`DPoP ${token}`, { dpop: { proof, method: 'GET', url } })).resolves.toMatchObject({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82' })
    // Another key of the same type is not the bound one.
    const other = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {})
    const otherProof = await new SignJWT({ htm: 'GET', htu: url, iat: now(), jti: crypto.randomUUID(), ath })
      .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: await exportJWK(other.publicKey) })
      .sign(other.privateKey)
    const err = (await rejection(domainVerifier({ dpop: dpopProofs() })(`DPoP ${token}`, { dpop: { proof: otherProof, method: 'GET', url } }))) as InvalidTokenError
    expect(err.message).toMatch(/cnf\.jkt/)
  })
})

describe('createAccessTokenVerifier: typed custom claims', () => {
  const Roles = z.object({ 'https://example.com/roles': z.array(z.string()) })

  it('returns the schema’s claims alongside the registered ones', async () => {
    await serveDefaultJwks()
    const verify = createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, claims: Roles })
    const claims = await verify(await validToken({ 'https://example.com/roles': ['admin', 'editor'] }))
    expect(claims['https://example.com/roles']).toEqual(['admin', 'editor'])
    expect(claims.sub).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
    expect(claims.scope).toBe('openid read:contacts')
  })

  it('uses the schema’s parsed output (transforms apply)', async () => {
    await serveDefaultJwks()
    const schema = z.object({ 'https://example.com/tier': z.string().transform((s) => s.toUpperCase()) })
    const claims = await createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, claims: schema })(await validToken({ 'https://example.com/tier': 'gold' }))
    expect(claims['https://example.com/tier']).toBe('GOLD')
  })

  it('refuses a token that lacks the claim, naming it, with InvalidTokenError', async () => {
    await serveDefaultJwks()
    const token = await validToken()
    const err = await expectInvalidToken(createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, claims: Roles })(token), token, /schema/)
    expect(err.message).toContain('https://example.com/roles')
  })

  it('refuses a token whose claim has the wrong type', async () => {
    await serveDefaultJwks()
    const token = await validToken({ 'https://example.com/roles': 'admin' })
    await expectInvalidToken(createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, claims: Roles })(token), token, /schema/)
  })

  it('does not put a claim value that failed the schema into the error', async () => {
    await serveDefaultJwks()
    const token = await validToken({ 'https://example.com/roles': [42] })
    const err = await expectInvalidToken(createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, claims: Roles })(token), token, /schema/)
    expect(err.message).not.toContain('42')
  })
})

describe('createAccessTokenVerifier: options', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['no domain or issuer', { domain: undefined }, 'domain'],
    ['both domain and issuer', { issuer: 'https://login.example.org/' }, 'issuer'],
    ['an empty audience', { audience: '' }, 'audience'],
    ['an empty audience list', { audience: [] }, 'audience'],
    ['alg none', { algorithms: ['none'] }, 'algorithms'],
    ['an empty algorithm list', { algorithms: [] }, 'algorithms'],
    ['HS256 without a secret', { algorithms: ['HS256'] }, 'secret'],
    ['HS256 with a short secret', { algorithms: ['HS256'], secret: 'short' }, 'secret'],
    ['HS256 mixed with RS256', { algorithms: ['HS256', 'RS256'], secret: 'x'.repeat(32) }, 'algorithms'],
    ['a negative clock tolerance', { clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
    ['a claims value that is not a schema', { claims: { parse: () => ({}) } }, 'claims'],
    ['an http issuer', { domain: undefined, issuer: 'http://login.example.org/' }, 'issuer'],
    ['a dpop option that is not dpopProofs()', { dpop: true }, 'dpop'],
    ['a dpop option that is dpopProofs itself, not its result', { dpop: dpopProofs }, 'dpop'],
    ['a dpop option that is null', { dpop: null }, 'dpop'],
  ])('throws ConfigError for %s', (_name, extra, field) => {
    let caught: unknown
    try {
      createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, ...extra } as unknown as AccessTokenVerifierOptions)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).field).toBe(field)
  })

  it('throws ConfigError for dpopMaxAgeSeconds, saying it moved to dpopProofs({ maxAgeSeconds })', () => {
    const err = thrown(() => createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, dpopMaxAgeSeconds: 60 } as AccessTokenVerifierOptions))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe('dpopMaxAgeSeconds')
    expect((err as ConfigError).message).toContain('dpop: dpopProofs({ maxAgeSeconds })')
  })

  it.each<[string, unknown]>([
    ['0', 0],
    ['a fraction of a second', 0.5],
    ['a negative number', -300],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '300'],
  ])('dpopProofs throws ConfigError (dpop.maxAgeSeconds) for a maxAgeSeconds of %s', (_name, maxAgeSeconds) => {
    const err = thrown(() => dpopProofs({ maxAgeSeconds } as { maxAgeSeconds: number }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe('dpop.maxAgeSeconds')
  })

  it('verifies HS256 tokens with the API’s secret, and refuses RS256 tokens then', async () => {
    const secret = 'an-api-signing-secret-of-32-chars!!'
    const verify = domainVerifier({ algorithms: ['HS256'], secret })
    const hs = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new TextEncoder().encode(secret))
    await expect(verify(hs)).resolves.toMatchObject({ iss: ISSUER })
    const wrong = await new SignJWT(accessClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('another-secret-that-is-32-chars-long'))
    await expectInvalidToken(verify(wrong), wrong, /signature/)
    const rs = await validToken()
    await expectInvalidToken(verify(rs), rs, /algorithm/)
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })
})
