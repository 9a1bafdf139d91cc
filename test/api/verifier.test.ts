// createAccessTokenVerifier with an Auth0 domain: the tokens it accepts and the ones it refuses.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CompactEncrypt, CompactSign, FlattenedSign, SignJWT, UnsecuredJWT, exportSPKI } from 'jose'
import { InvalidTokenError } from 'authcode/api'
import { createTestTenant } from 'authcode/testing'
import { useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now, flipSignature } from '../helpers/signers.js'
import {
  DOMAIN,
  ISSUER,
  JWKS_URL,
  AUDIENCE,
  signers,
  accessClaims,
  signWith,
  validToken,
  serveJwks,
  serveDefaultJwks,
  requestCount,
  domainVerifier,
} from '../helpers/api-tenant.js'
import { expectNoTokenIn, expectInvalidToken, parseChallenge } from '../helpers/invalid-token.js'

const log = useMockServer()

afterEach(() => {
  vi.useRealTimers()
})

describe('createAccessTokenVerifier with an Auth0 domain: valid tokens', () => {
  it('returns the claims of a valid RS256 access token given raw', async () => {
    await serveDefaultJwks()
    const token = await validToken()
    const claims = await domainVerifier()(token)
    expect(claims.iss).toBe(ISSUER)
    expect(claims.sub).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
    expect(claims.aud).toBe(AUDIENCE)
    expect(claims.scope).toBe('openid read:contacts')
    expect(requestCount(log, JWKS_URL)).toBe(1)
  })

  it.each([
    ['Bearer x', (t: string) => `Bearer ${t}`],
    ['bearer x', (t: string) => `bearer ${t}`],
    ['BEARER  x (two spaces)', (t: string) => `BEARER  ${t}`],
    ['" Bearer x " (surrounding spaces)', (t: string) => ` Bearer ${t} `],
  ])('accepts the token in an Authorization header of the form %s', async (_name, header) => {
    await serveDefaultJwks()
    const token = await validToken({ jti: 'header-form' })
    const claims = await domainVerifier()(header(token))
    expect(claims.jti).toBe('header-form')
  })

  it('accepts an audience array that contains this API', async () => {
    await serveDefaultJwks()
    const token = await validToken({ aud: [AUDIENCE, `${ISSUER}userinfo`] })
    const claims = await domainVerifier()(token)
    expect(claims.aud).toEqual([AUDIENCE, `${ISSUER}userinfo`])
  })

  it('accepts a token for any one of several configured audiences', async () => {
    await serveDefaultJwks()
    const token = await validToken({ aud: 'https://other-api.example.com' })
    const claims = await domainVerifier({ audience: [AUDIENCE, 'https://other-api.example.com'] })(token)
    expect(claims.aud).toBe('https://other-api.example.com')
  })

  it.each(['at+jwt', 'application/at+jwt', 'JWT'])('accepts typ "%s"', async (typ) => {
    await serveDefaultJwks()
    const token = await signWith((await signers).a, accessClaims(), { typ })
    await expect(domainVerifier()(token)).resolves.toMatchObject({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82' })
  })

  it('accepts a token with no typ header (Auth0 before RFC 9068 profiles)', async () => {
    await serveDefaultJwks()
    const s = await signers
    const token = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'RS256', kid: s.a.kid }).sign(s.a.privateKey)
    await expect(domainVerifier()(token)).resolves.toMatchObject({ iss: ISSUER })
  })

  it('accepts a token signed by authcode/testing’s tenant (its JWKS served at the domain)', async () => {
    const tenant = await createTestTenant({ domain: DOMAIN })
    serveJwks(tenant.jwks)
    const token = await tenant.signAccessToken({ aud: AUDIENCE, scope: 'read:contacts' })
    const claims = await domainVerifier()(`Bearer ${token}`, { requiredScopes: ['read:contacts'] })
    expect(claims.client_id).toBe(tenant.clientId)
  })

  it('accepts an expired-by-2s token within the default 5 s clock tolerance, and not with tolerance 0', async () => {
    await serveDefaultJwks()
    const token = await validToken({ exp: now() - 2 })
    await expect(domainVerifier()(token)).resolves.toMatchObject({ iss: ISSUER })
    await expectInvalidToken(domainVerifier({ clockToleranceSeconds: 0 })(token), token, /expired/)
  })

  it('uses a custom fetch for the JWKS when given one', async () => {
    const s = await signers
    const fetchSpy = vi.fn(async (input: RequestInfo | URL) => {
      expect(String(input)).toBe(JWKS_URL)
      return Response.json({ keys: [s.a.jwk] })
    })
    const token = await validToken()
    await expect(domainVerifier({ fetch: fetchSpy as typeof fetch })(token)).resolves.toMatchObject({ iss: ISSUER })
    expect(fetchSpy).toHaveBeenCalledTimes(1)
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })
})

describe('createAccessTokenVerifier with an Auth0 domain: refused tokens', () => {
  it('refuses an expired token', async () => {
    await serveDefaultJwks()
    const token = await validToken({ iat: now() - 7200, exp: now() - 3600 })
    await expectInvalidToken(domainVerifier()(token), token, /expired/)
  })

  it('refuses a token whose nbf is in the future', async () => {
    await serveDefaultJwks()
    const token = await validToken({ nbf: now() + 600 })
    await expectInvalidToken(domainVerifier()(token), token, /not valid yet \("nbf"\)/)
  })

  it('refuses a token for another audience, naming "aud"', async () => {
    await serveDefaultJwks()
    const token = await validToken({ aud: 'https://other-api.example.com' })
    await expectInvalidToken(domainVerifier()(token), token, /"aud"/)
  })

  it('refuses an audience array that does not contain this API', async () => {
    await serveDefaultJwks()
    const token = await validToken({ aud: ['https://other-api.example.com', `${ISSUER}userinfo`] })
    await expectInvalidToken(domainVerifier()(token), token, /"aud"/)
  })

  it('refuses a token from another issuer, naming "iss"', async () => {
    await serveDefaultJwks()
    const token = await validToken({ iss: 'https://evil-tenant.auth0.example/' })
    await expectInvalidToken(domainVerifier()(token), token, /another issuer \("iss"\)/)
  })

  it('refuses the issuer without its trailing slash (Auth0 issuers end in "/")', async () => {
    await serveDefaultJwks()
    const token = await validToken({ iss: `https://${DOMAIN}` })
    await expectInvalidToken(domainVerifier()(token), token, /"iss"/)
  })

  it('refuses a token without "sub"', async () => {
    await serveDefaultJwks()
    const token = await validToken({ sub: undefined })
    await expectInvalidToken(domainVerifier()(token), token, /"sub"/)
  })

  it('refuses a token whose signature has one character changed', async () => {
    await serveDefaultJwks()
    const token = flipSignature(await validToken())
    await expectInvalidToken(domainVerifier()(token), token, /signature is invalid/)
  })

  it('refuses a token whose payload was changed after signing', async () => {
    await serveDefaultJwks()
    const [header, , signature] = (await validToken()).split('.') as [string, string, string]
    const forgedPayload = Buffer.from(JSON.stringify(accessClaims({ scope: 'admin' }))).toString('base64url')
    const token = `${header}.${forgedPayload}.${signature}`
    await expectInvalidToken(domainVerifier()(token), token, /signature is invalid/)
  })

  it('refuses a token signed by another key that reuses a published kid', async () => {
    await serveDefaultJwks()
    const token = await signWith((await signers).impostor)
    await expectInvalidToken(domainVerifier()(token), token, /signature is invalid/)
  })

  it('refuses a token whose kid the JWKS does not have, mentioning "kid"', async () => {
    await serveDefaultJwks()
    const token = await signWith((await signers).unpublished)
    await expectInvalidToken(domainVerifier()(token), token, /"kid"/)
    expect(requestCount(log, JWKS_URL)).toBe(1)
  })

  it('refuses an unsigned token (alg "none") without fetching keys', async () => {
    await serveDefaultJwks()
    const token = new UnsecuredJWT(accessClaims()).encode()
    expect(token.split('.')).toHaveLength(3)
    await expectInvalidToken(domainVerifier()(token), token, /algorithm/)
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('refuses alg "none" with a forged kid and typ, too', async () => {
    await serveDefaultJwks()
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'key-a', typ: 'at+jwt' })).toString('base64url')
    const payload = Buffer.from(JSON.stringify(accessClaims())).toString('base64url')
    const token = `${header}.${payload}.`
    await expectInvalidToken(domainVerifier()(token), token, /algorithm/)
  })

  it('refuses HS256 signed with the RSA public key (PEM) as the HMAC secret: algorithm confusion', async () => {
    await serveDefaultJwks()
    const s = await signers
    const pem = await exportSPKI(s.a.publicKey)
    const token = await new SignJWT(accessClaims())
      .setProtectedHeader({ alg: 'HS256', kid: s.a.kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode(pem))
    await expectInvalidToken(domainVerifier()(token), token, /algorithm this API does not accept/)
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('refuses HS256 signed with the RSA public JWK (its JSON, and its "n") as the HMAC secret', async () => {
    await serveDefaultJwks()
    const s = await signers
    for (const secret of [JSON.stringify(s.a.jwk), s.a.jwk.n!]) {
      const token = await new SignJWT(accessClaims())
        .setProtectedHeader({ alg: 'HS256', kid: s.a.kid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(secret))
      await expectInvalidToken(domainVerifier()(token), token, /algorithm/)
    }
  })

  it('refuses an ES256 token by default (RS256 only), even when its key is published', async () => {
    await serveDefaultJwks()
    const token = await signWith((await signers).ec)
    await expectInvalidToken(domainVerifier()(token), token, /algorithm this API does not accept/)
  })

  it('accepts an ES256 token with algorithms: ["ES256"], and then refuses RS256', async () => {
    await serveDefaultJwks()
    const s = await signers
    const verify = domainVerifier({ algorithms: ['ES256'] })
    const es = await signWith(s.ec)
    await expect(verify(es)).resolves.toMatchObject({ iss: ISSUER })
    const rs = await signWith(s.a)
    await expectInvalidToken(verify(rs), rs, /algorithm/)
  })

  it('accepts both with algorithms: ["RS256", "ES256"]', async () => {
    await serveDefaultJwks()
    const s = await signers
    const verify = domainVerifier({ algorithms: ['RS256', 'ES256'] })
    await expect(verify(await signWith(s.ec))).resolves.toMatchObject({ iss: ISSUER })
    await expect(verify(await signWith(s.a))).resolves.toMatchObject({ iss: ISSUER })
  })

  it('refuses a back-channel logout token (typ logout+jwt, an events claim) for this API', async () => {
    await serveDefaultJwks()
    const events = { 'http://schemas.openid.net/event/backchannel-logout': {} }
    for (const typ of ['logout+jwt', 'application/logout+jwt']) {
      const token = await signWith((await signers).a, accessClaims({ events, sid: 'sid-1', jti: 'lt-1' }), { typ })
      const err = await expectInvalidToken(domainVerifier()(token), token, /"typ"/)
      expect(err.message).toContain(`(${typ}) says it is not an access token`)
    }
  })

  it.each(['dpop+jwt', 'JWT+ID', 'secevent+jwt'])('refuses typ "%s" (not an access token)', async (typ) => {
    await serveDefaultJwks()
    const token = await signWith((await signers).a, accessClaims(), { typ })
    const err = await expectInvalidToken(domainVerifier()(token), token, /"typ"/)
    expect(err.message).toContain(typ)
  })

  it('refuses an opaque token, saying it is not a JWT and mentioning "audience"', async () => {
    const token = 'kq8FjS3t0bE4mZ1pXw9vYc2LnR7uHd6A'
    const err = await expectInvalidToken(domainVerifier()(`Bearer ${token}`), token, /not a JWT/)
    expect(err.message).toContain('"audience"')
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('refuses an encrypted token (5-part JWE), saying so and mentioning "audience"', async () => {
    const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(accessClaims())))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(crypto.getRandomValues(new Uint8Array(32)))
    expect(token.split('.')).toHaveLength(5)
    const err = await expectInvalidToken(domainVerifier()(token), token, /encrypted \(a JWE\)/)
    expect(err.message).toContain('"audience"')
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('refuses a three-part string whose parts are not JSON as malformed, without fetching keys', async () => {
    await serveDefaultJwks()
    const token = 'aGVsbG8.d29ybGQ.c2lnbmF0dXJl'
    await expectInvalidToken(domainVerifier()(`Bearer ${token}`), token, /malformed/)
    expect(requestCount(log, JWKS_URL)).toBe(0)
  })

  it('refuses a token whose claims are not valid UTF-8 as malformed', async () => {
    await serveDefaultJwks()
    const s = await signers
    const json = new TextEncoder().encode(JSON.stringify(accessClaims({ name: 'X' })))
    const bytes = json.map((b) => (b === 0x58 ? 0xff : b)) // each "X" becomes a lone 0xFF byte: not UTF-8
    const token = await new CompactSign(bytes).setProtectedHeader({ alg: 'RS256', kid: s.a.kid, typ: 'at+jwt' }).sign(s.a.privateKey)
    await expectInvalidToken(domainVerifier()(token), token, /malformed/)
  })

  it('refuses a JWS with an unencoded payload (b64: false, RFC 7797), which no JWT may use', async () => {
    await serveDefaultJwks()
    const s = await signers
    const payload = '{"sub":"x"}' // JSON with no dot, so the compact form still has three parts
    const jws = await new FlattenedSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: 'RS256', kid: s.a.kid, b64: false, crit: ['b64'] })
      .sign(s.a.privateKey)
    const token = `${jws.protected}.${payload}.${jws.signature}`
    await expectInvalidToken(domainVerifier()(token), token, /malformed/)
  })

  it('refuses a header value outside the RFC 6750 b64token syntax as invalid_request', async () => {
    const token = 'not-base64url!.also@not.really'
    const err = (await rejection(domainVerifier()(`Bearer ${token}`))) as InvalidTokenError
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect(parseChallenge(err.wwwAuthenticate).params.error).toBe('invalid_request')
    expectNoTokenIn(err, token)
  })
})

describe('createAccessTokenVerifier: whitespace in a bare token', () => {
  it.each([
    ['a tab', '\t'],
    ['a line feed', '\n'],
    ['a no-break space', '\u00a0'],
    ['a line separator', '\u2028'],
  ])('answers invalid_request for a token with %s inside its signature, as for any malformed header', async (_name, ws) => {
    await serveDefaultJwks()
    const token = await validToken()
    const i = token.length - 10
    const err = (await rejection(domainVerifier()(`${token.slice(0, i)}${ws}${token.slice(i)}`))) as InvalidTokenError
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect(parseChallenge(err.wwwAuthenticate).params.error).toBe('invalid_request')
  })
})
