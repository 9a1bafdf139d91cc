import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CompactEncrypt,
  CompactSign,
  FlattenedSign,
  SignJWT,
  calculateJwkThumbprint,
  UnsecuredJWT,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose'
import { z } from 'zod'
import {
  AuthcodeError,
  ConfigError,
  InsufficientScopeError,
  InvalidTokenError,
  NetworkError,
  ResponseError,
  TimeoutError,
  createAccessTokenVerifier,
  dpopProofs,
  type AccessTokenVerifierOptions,
  type JwksCache,
} from 'authcode/api'
import { createTestTenant } from 'authcode/testing'
import { HttpResponse, http, server, useMockServer } from './helpers/auth0.js'

const log = useMockServer()

// --- an Auth0-like tenant (domain mode) and a generic OpenID provider (issuer mode) ----------

const DOMAIN = 'api-tenant.auth0.example'
const ISSUER = `https://${DOMAIN}/`
const JWKS_URL = `https://${DOMAIN}/.well-known/jwks.json`
const AUDIENCE = 'https://api.example.com'

const OIDC_ISSUER = 'https://login.example.org/tenant-a'
const OIDC_DISCOVERY = 'https://login.example.org/tenant-a/.well-known/openid-configuration'
const OIDC_JWKS = 'https://keys.example.org/tenant-a/oauth2/v1/keys'

afterEach(() => {
  vi.useRealTimers()
})

// --- keys and tokens ---------------------------------------------------------------------------

interface Signer {
  alg: string
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
}

async function makeSigner(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

// Generated once: RSA key generation is slow-ish.
const signers = (async () => ({
  a: await makeSigner('key-a'),
  b: await makeSigner('key-b'),
  // Another RSA key that claims key-a's kid: a forger who knows the kid but not the key.
  impostor: await makeSigner('key-a'),
  ec: await makeSigner('key-ec', 'ES256'),
  unpublished: await makeSigner('key-unpublished'),
}))()

function now(): number {
  return Math.floor(Date.now() / 1000)
}

/** Claims an Auth0 access token for AUDIENCE carries; `extra` overrides (undefined removes). */
function accessClaims(extra: Record<string, unknown> = {}, iss = ISSUER): JWTPayload {
  const claims: Record<string, unknown> = {
    iss,
    sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 3600,
    scope: 'openid read:contacts',
    azp: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
    ...extra,
  }
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key]
  return claims as JWTPayload
}

async function signWith(
  signer: Signer,
  claims: JWTPayload = accessClaims(),
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt', ...header }).sign(signer.privateKey)
}

/** A valid RS256 access token signed with key A. */
async function validToken(extra: Record<string, unknown> = {}): Promise<string> {
  return signWith((await signers).a, accessClaims(extra))
}

/** The same token with one character of its signature changed. */
function flipSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const i = Math.floor(signature.length / 2)
  const flipped = signature[i] === 'A' ? 'B' : 'A'
  return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`
}

// --- the mock issuer -----------------------------------------------------------------------------

interface ServedKeys {
  keys: JWK[]
}

/** Serves `jwks` (read on every request, so tests can rotate keys) at the tenant's JWKS URL. */
function serveJwks(jwks: ServedKeys, url = JWKS_URL): void {
  server.use(http.get(url, () => HttpResponse.json(jwks)))
}

async function serveDefaultJwks(): Promise<ServedKeys> {
  const s = await signers
  const jwks = { keys: [s.a.jwk, s.b.jwk, s.ec.jwk] }
  serveJwks(jwks)
  return jwks
}

function serveDiscovery(metadata: Record<string, unknown> = {}): void {
  server.use(
    http.get(OIDC_DISCOVERY, () =>
      HttpResponse.json({
        issuer: OIDC_ISSUER,
        authorization_endpoint: 'https://login.example.org/tenant-a/authorize',
        token_endpoint: 'https://login.example.org/tenant-a/token',
        jwks_uri: OIDC_JWKS,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        ...metadata,
      }),
    ),
  )
}

/** How many requests went to `url` (origin + path) since the test began. */
function requestCount(url: string): number {
  return log.filter((r) => r.url.origin + r.url.pathname === url).length
}

/** A verifier for DOMAIN and AUDIENCE (see the typed-claims tests for one with a schema). */
function domainVerifier(extra: Partial<AccessTokenVerifierOptions> = {}) {
  return createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, ...extra })
}

// --- checking errors ------------------------------------------------------------------------------

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`expected a rejection, but the call resolved with ${JSON.stringify(outcome.value)}`)
  return outcome.error
}

/** What `fn` throws; fails the test when it returns. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw, but the call returned')
}

/** Everything about an error that could end up in a log or a response. */
function renderings(err: AuthcodeError): string[] {
  const out = [err.message, String(err), JSON.stringify(err), err.stack ?? '']
  if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) out.push(err.wwwAuthenticate)
  return out
}

/** Neither the token nor any of its segments appears in the error, however it is rendered. */
function expectNoTokenIn(err: AuthcodeError, token: string): void {
  const pieces = [token, ...token.split('.').filter((part) => part.length >= 16)]
  for (const text of renderings(err)) {
    for (const piece of pieces) expect(text).not.toContain(piece)
  }
}

/** The verifier refuses `token` with an InvalidTokenError (401, invalid_token) whose message matches. */
async function expectInvalidToken(promise: Promise<unknown>, token: string, message: RegExp): Promise<InvalidTokenError> {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(InvalidTokenError)
  const invalid = err as InvalidTokenError
  expect(invalid.code).toBe('ERR_INVALID_TOKEN')
  expect(invalid.status).toBe(401)
  expect(invalid.message).toMatch(message)
  expect(invalid.wwwAuthenticate).toMatch(/^Bearer error="invalid_token", error_description="/)
  expectNoTokenIn(invalid, token)
  return invalid
}

/** Splits `Bearer a="x", b="y"` into its scheme and parameters (quoted-string values, \-escapes undone). */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^(\S+)(?: (.*))?$/.exec(header)
  if (!match) throw new Error(`not a challenge: ${header}`)
  const params: Record<string, string> = {}
  const rest = match[2] ?? ''
  const re = /\s*([A-Za-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y
  let consumed = 0
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1')
    consumed = re.lastIndex
  }
  if (consumed !== rest.length) throw new Error(`unparsable challenge parameters: ${rest}`)
  return { scheme: match[1]!, params }
}

// ==================================================================================================

describe('createAccessTokenVerifier with an Auth0 domain: valid tokens', () => {
  it('returns the claims of a valid RS256 access token given raw', async () => {
    await serveDefaultJwks()
    const token = await validToken()
    const claims = await domainVerifier()(token)
    expect(claims.iss).toBe(ISSUER)
    expect(claims.sub).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
    expect(claims.aud).toBe(AUDIENCE)
    expect(claims.scope).toBe('openid read:contacts')
    expect(requestCount(JWKS_URL)).toBe(1)
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
    expect(requestCount(JWKS_URL)).toBe(0)
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
    expect(requestCount(JWKS_URL)).toBe(1)
  })

  it('refuses an unsigned token (alg "none") without fetching keys', async () => {
    await serveDefaultJwks()
    const token = new UnsecuredJWT(accessClaims()).encode()
    expect(token.split('.')).toHaveLength(3)
    await expectInvalidToken(domainVerifier()(token), token, /algorithm/)
    expect(requestCount(JWKS_URL)).toBe(0)
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
    expect(requestCount(JWKS_URL)).toBe(0)
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
    expect(requestCount(JWKS_URL)).toBe(0)
  })

  it('refuses an encrypted token (5-part JWE), saying so and mentioning "audience"', async () => {
    const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(accessClaims())))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(crypto.getRandomValues(new Uint8Array(32)))
    expect(token.split('.')).toHaveLength(5)
    const err = await expectInvalidToken(domainVerifier()(token), token, /encrypted \(a JWE\)/)
    expect(err.message).toContain('"audience"')
    expect(requestCount(JWKS_URL)).toBe(0)
  })

  it('refuses a three-part string whose parts are not JSON as malformed, without fetching keys', async () => {
    await serveDefaultJwks()
    const token = 'aGVsbG8.d29ybGQ.c2lnbmF0dXJl'
    await expectInvalidToken(domainVerifier()(`Bearer ${token}`), token, /malformed/)
    expect(requestCount(JWKS_URL)).toBe(0)
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

  // BUG: a header of just "Bearer" has no whitespace once trimmed, so the verifier reads it as a
  // raw token ("Bearer  " too, once trimmed) and answers invalid_token "not a JWT (an opaque
  // token…)"; extractBearerToken and RFC 6750 §3.1 make it a malformed request (invalid_request).
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

  // BUG: RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E in error_description (no '"' and
  // no '\'), but messages such as 'unknown "kid"' are put in with \" escapes.
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

describe('createAccessTokenVerifier with an issuer (discovery)', () => {
  function issuerVerifier() {
    return createAccessTokenVerifier({ issuer: OIDC_ISSUER, audience: AUDIENCE })
  }

  it('finds the keys through jwks_uri of the discovery document and verifies a token', async () => {
    const s = await signers
    serveDiscovery()
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, OIDC_ISSUER))
    const claims = await issuerVerifier()(`Bearer ${token}`)
    expect(claims.iss).toBe(OIDC_ISSUER)
    expect(requestCount(OIDC_DISCOVERY)).toBe(1)
    expect(requestCount(OIDC_JWKS)).toBe(1)
    expect(requestCount(JWKS_URL)).toBe(0)
  })

  it('refuses a token whose iss differs from the configured issuer (even by a trailing slash)', async () => {
    const s = await signers
    serveDiscovery()
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, `${OIDC_ISSUER}/`))
    await expectInvalidToken(issuerVerifier()(token), token, /"iss"/)
  })

  it('makes one discovery and one JWKS request for 100 concurrent cold verifications', async () => {
    const s = await signers
    serveDiscovery()
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, OIDC_ISSUER))
    const verify = issuerVerifier()
    const results = await Promise.all(Array.from({ length: 100 }, () => verify(token)))
    expect(results).toHaveLength(100)
    expect(requestCount(OIDC_DISCOVERY)).toBe(1)
    expect(requestCount(OIDC_JWKS)).toBe(1)
    await verify(token)
    expect(requestCount(OIDC_DISCOVERY)).toBe(1)
    expect(requestCount(OIDC_JWKS)).toBe(1)
  })

  it('throws ConfigError naming the issuer to configure (not InvalidTokenError) when discovery names another issuer', async () => {
    serveDiscovery({ issuer: 'https://login.example.org/tenant-b' })
    const token = await signWith((await signers).a, accessClaims({}, OIDC_ISSUER))
    const err = await rejection(issuerVerifier()(token))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe('issuer')
    expect((err as ConfigError).message).toContain('https://login.example.org/tenant-b')
    expect(err).not.toBeInstanceOf(InvalidTokenError)
  })

  it('after a failed discovery, answers with the same error without a request for 1 s, then discovers again', async () => {
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    let failing = true
    serveDiscovery()
    // Registered last, so msw asks it first; it falls through to the real document once up.
    server.use(http.get(OIDC_DISCOVERY, () => (failing ? new HttpResponse('down', { status: 500 }) : undefined)))
    serveJwks({ keys: [s.a.jwk] }, OIDC_JWKS)
    const token = await signWith(s.a, accessClaims({}, OIDC_ISSUER))
    const verify = issuerVerifier()
    await expect(verify(token)).rejects.toMatchObject({ status: 500 })
    failing = false
    await expect(verify(token)).rejects.toMatchObject({ status: 500 })
    expect(requestCount(OIDC_DISCOVERY)).toBe(1)
    vi.setSystemTime(start + 1_000)
    await expect(verify(token)).resolves.toMatchObject({ iss: OIDC_ISSUER })
    expect(requestCount(OIDC_DISCOVERY)).toBe(2)
  })

  it('refuses an http jwks_uri with a ConfigError', async () => {
    serveDiscovery({ jwks_uri: 'http://keys.example.org/tenant-a/oauth2/v1/keys' })
    const token = await signWith((await signers).a, accessClaims({}, OIDC_ISSUER))
    await expect(issuerVerifier()(token)).rejects.toBeInstanceOf(ConfigError)
  })
})

describe('createAccessTokenVerifier: JWKS caching', () => {
  it('makes exactly one JWKS request for 100 concurrent verifications on a cold verifier, then none', async () => {
    await serveDefaultJwks()
    const verify = domainVerifier()
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => validToken({ jti: `t-${i}` })))
    const results = await Promise.all(tokens.map((t) => verify(t)))
    expect(results.map((c) => c.jti)).toEqual(tokens.map((_, i) => `t-${i}`))
    expect(requestCount(JWKS_URL)).toBe(1)

    for (let i = 0; i < 5; i++) await verify(await validToken())
    await verify(await signWith((await signers).b))
    expect(requestCount(JWKS_URL)).toBe(1)
  })

  it('gives each verifier its own key cache', async () => {
    await serveDefaultJwks()
    const token = await validToken()
    await domainVerifier()(token)
    await domainVerifier()(token)
    expect(requestCount(JWKS_URL)).toBe(2)
  })

  it('picks up a rotated key without a new verifier, after the 30 s refetch cooldown', async () => {
    // The key cache (src/api/keys.ts, as jose's remote key sets) refetches the JWKS for an
    // unknown kid only when the last fetch is over 30 s old, so the clock is moved with a fake
    // Date; timers stay real so msw and the request timeouts work as usual.
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const jwks: ServedKeys = { keys: [s.a.jwk] }
    serveJwks(jwks)
    const verify = domainVerifier()
    await verify(await signWith(s.a))
    expect(requestCount(JWKS_URL)).toBe(1)

    // The tenant rotates: key B is published and new tokens are signed with it.
    jwks.keys = [s.a.jwk, s.b.jwk]
    const rotated = await signWith(s.b)
    // Within the cooldown an unknown kid is refused without hammering the JWKS endpoint.
    await expectInvalidToken(verify(rotated), rotated, /"kid"/)
    expect(requestCount(JWKS_URL)).toBe(1)

    vi.setSystemTime(start + 31_000)
    const claims = await verify(await signWith(s.b, accessClaims({ jti: 'after-rotation' })))
    expect(claims.jti).toBe('after-rotation')
    expect(requestCount(JWKS_URL)).toBe(2)

    // Both keys are now cached: no further requests.
    await verify(await signWith(s.a))
    await verify(await signWith(s.b))
    expect(requestCount(JWKS_URL)).toBe(2)
  })

  it('refetches the JWKS when the cache is over 10 minutes old', async () => {
    await serveDefaultJwks()
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const verify = domainVerifier()
    await verify(await validToken())
    vi.setSystemTime(start + 11 * 60_000)
    await verify(await validToken())
    expect(requestCount(JWKS_URL)).toBe(2)
  })

  // BUG: jose answers a non-200 JWKS response with a plain JOSEError, which toInvalidToken
  // (src/api/verifier.ts) turns into InvalidTokenError "The access token is malformed" — so an
  // issuer outage answers 401 (log the user out) instead of 503.
  it('throws ResponseError or NetworkError, not InvalidTokenError, when the JWKS endpoint answers 500', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('internal error', { status: 500 })))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).not.toBeInstanceOf(InvalidTokenError)
    expect(err instanceof ResponseError || err instanceof NetworkError).toBe(true)
  })

  it('throws NetworkError, not InvalidTokenError, when the JWKS endpoint cannot be reached', async () => {
    server.use(http.get(JWKS_URL, () => HttpResponse.error()))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).toBeInstanceOf(NetworkError)
    expect(err).not.toBeInstanceOf(InvalidTokenError)
    expectNoTokenIn(err as NetworkError, token)
  })

  it('throws ResponseError when the JWKS endpoint answers something that is not a key set', async () => {
    server.use(http.get(JWKS_URL, () => HttpResponse.json({ hello: 'world' })))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).toBeInstanceOf(ResponseError)
  })

  it('after a failed JWKS fetch, answers with the same kind of error and no request for 1 s, then fetches again and recovers', async () => {
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    let up = false
    server.use(http.get(JWKS_URL, () => (up ? HttpResponse.json({ keys: [s.a.jwk] }) : HttpResponse.error())))
    const verify = domainVerifier()
    const token = await validToken()
    await expect(verify(token)).rejects.toBeInstanceOf(NetworkError)
    const attempts = requestCount(JWKS_URL) // the fetch tries a network failure twice
    up = true
    // Within the backoff: the outage's error (an API answers 503), not a 401, and no request.
    for (let i = 0; i < 20; i++) {
      const err = await rejection(verify(token))
      expect(err).toBeInstanceOf(NetworkError)
      expect(err).not.toBeInstanceOf(InvalidTokenError)
    }
    vi.setSystemTime(start + 999)
    await expect(verify(token)).rejects.toBeInstanceOf(NetworkError)
    expect(requestCount(JWKS_URL)).toBe(attempts)
    vi.setSystemTime(start + 1_000)
    await expect(verify(token)).resolves.toMatchObject({ iss: ISSUER })
    expect(requestCount(JWKS_URL)).toBe(attempts + 1)
  })

  it('backs off 1 s, 2 s, 4 s … up to 30 s while the JWKS endpoint keeps failing, and starts again at 1 s after a success', async () => {
    const s = await signers
    let t = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: t })
    let up = false
    server.use(http.get(JWKS_URL, () => (up ? HttpResponse.json({ keys: [s.a.jwk] }) : new HttpResponse('broken', { status: 500 }))))
    const verify = domainVerifier()
    const token = await validToken()
    const waits: number[] = []
    for (let failures = 0; failures < 8; failures++) {
      // Find the wait (in whole seconds) after which the next request is made.
      const before = requestCount(JWKS_URL)
      let waited = 0
      while (requestCount(JWKS_URL) === before) {
        await expect(verify(token)).rejects.toMatchObject({ status: 500 })
        if (requestCount(JWKS_URL) === before) {
          waited += 1
          vi.setSystemTime((t += 1_000))
        }
      }
      waits.push(waited)
    }
    expect(waits).toEqual([0, 1, 2, 4, 8, 16, 30, 30])
    up = true
    vi.setSystemTime((t += 30_000))
    await expect(verify(token)).resolves.toMatchObject({ iss: ISSUER })
    // A key set fetched and fresh: the next failure (a refetch for an unknown kid) backs off 1 s again.
    vi.setSystemTime((t += 31_000))
    up = false
    const unknown = await signWith((await signers).unpublished)
    await expect(verify(unknown)).rejects.toMatchObject({ status: 500 })
    const count = requestCount(JWKS_URL)
    vi.setSystemTime((t += 1_000))
    await expect(verify(unknown)).rejects.toMatchObject({ status: 500 })
    expect(requestCount(JWKS_URL)).toBe(count + 1)
  })

  it('makes one JWKS request for a flood of tokens with unknown kids while the endpoint is down', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('broken', { status: 500 })))
    const verify = domainVerifier()
    const s = await signers
    const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => signWith(s.unpublished, accessClaims(), { kid: `forged-${i}` })))
    for (const token of forged) {
      const err = await rejection(verify(token))
      expect(err).toBeInstanceOf(ResponseError)
    }
    expect(requestCount(JWKS_URL)).toBe(1)
  })

  it('keeps verifying tokens of known keys with the stale key set while a refetch fails, for up to an hour', async () => {
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    let up = true
    server.use(http.get(JWKS_URL, () => (up ? HttpResponse.json({ keys: [s.a.jwk] }) : new HttpResponse('broken', { status: 500 }))))
    const verify = domainVerifier()
    await verify(await validToken())
    up = false
    vi.setSystemTime(start + 11 * 60_000)
    // Stale (over 10 minutes): a refetch is tried, fails, and the known key still verifies.
    await expect(verify(await validToken({ jti: 'stale-1' }))).resolves.toMatchObject({ jti: 'stale-1' })
    expect(requestCount(JWKS_URL)).toBe(2)
    // During the backoff no request; the stale key still verifies, and a bad signature is still a 401.
    const token = await validToken({ jti: 'stale-2' })
    await expect(verify(token)).resolves.toMatchObject({ jti: 'stale-2' })
    await expectInvalidToken(verify(flipSignature(token)), token, /signature is invalid/)
    expect(requestCount(JWKS_URL)).toBe(2)
    // An unknown kid cannot be told apart from a rotated key while the endpoint is down: an outage error.
    const unknown = await signWith(s.b)
    await expect(verify(unknown)).rejects.toBeInstanceOf(ResponseError)

    vi.setSystemTime(start + 60 * 60_000 - 1)
    await expect(verify(await validToken())).resolves.toMatchObject({ iss: ISSUER })
    vi.setSystemTime(start + 60 * 60_000 + 31_000)
    await expect(verify(await validToken())).rejects.toBeInstanceOf(ResponseError)

    up = true
    vi.setSystemTime(start + 62 * 60_000)
    await expect(verify(await validToken({ jti: 'back' }))).resolves.toMatchObject({ jti: 'back' })
  })
})

describe('createAccessTokenVerifier: the JWKS request', () => {
  it('throws ResponseError, not InvalidTokenError, when the JWKS endpoint answers something that is not JSON', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } })))
    const token = await validToken()
    const err = await rejection(domainVerifier()(token))
    expect(err).toBeInstanceOf(ResponseError)
    expect(err).not.toBeInstanceOf(InvalidTokenError)
  })

  it('throws TimeoutError naming timeoutMs when the JWKS endpoint does not answer in time', async () => {
    const hanging = vi.fn((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    )
    const token = await validToken()
    const err = await rejection(domainVerifier({ fetch: hanging as typeof fetch, timeoutMs: 50 })(token))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).message).toContain('timeoutMs')
    expectNoTokenIn(err as TimeoutError, token)
  })

  it('times out a JWKS body that never ends, too', async () => {
    const stalled = vi.fn(async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"keys":[')) }), { status: 200 }))
    const err = await rejection(domainVerifier({ fetch: stalled as unknown as typeof fetch, timeoutMs: 50 })(await validToken()))
    expect(err).toBeInstanceOf(TimeoutError)
  })

  it('names the runtime error code in a NetworkError and keeps the error as its cause', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
    const failing = vi.fn(async () => {
      throw refused
    })
    const err = await rejection(domainVerifier({ fetch: failing as unknown as typeof fetch })(await validToken()))
    expect(err).toBeInstanceOf(NetworkError)
    expect((err as NetworkError).message).toBe(`Could not reach ${JWKS_URL} (ECONNREFUSED)`)
    expect((err as NetworkError).cause).toBe(refused)
    expect(failing).toHaveBeenCalledTimes(2) // tried once more after 100 ms
  })

  it('tries the JWKS request a second time after a 503, and verifies the token', async () => {
    const s = await signers
    let calls = 0
    server.use(http.get(JWKS_URL, () => (++calls === 1 ? new HttpResponse('busy', { status: 503 }) : HttpResponse.json({ keys: [s.a.jwk] }))))
    await expect(domainVerifier()(await validToken())).resolves.toMatchObject({ iss: ISSUER })
    expect(requestCount(JWKS_URL)).toBe(2)
  })

  it('does not try again after a 500, nor after a 503 whose Retry-After asks for more than 1 s', async () => {
    server.use(http.get(JWKS_URL, () => new HttpResponse('broken', { status: 500 })))
    await expect(domainVerifier()(await validToken())).rejects.toMatchObject({ status: 500 })
    expect(requestCount(JWKS_URL)).toBe(1)
    server.use(http.get(JWKS_URL, () => new HttpResponse('busy', { status: 503, headers: { 'retry-after': '30' } })))
    await expect(domainVerifier()(await validToken())).rejects.toMatchObject({ status: 503 })
    expect(requestCount(JWKS_URL)).toBe(2)
  })

  it('refuses a JWKS body over 1 MiB with ResponseError', async () => {
    const s = await signers
    const padding = 'x'.repeat(1024 * 1024)
    server.use(http.get(JWKS_URL, () => HttpResponse.json({ keys: [s.a.jwk], padding })))
    const err = await rejection(domainVerifier()(await validToken()))
    expect(err).toBeInstanceOf(ResponseError)
  })

  it('stops reading a JWKS body with no declared length once it passes 1 MiB', async () => {
    // An endless stream: only a reader that counts as it goes can refuse it.
    let pulled = 0
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    server.use(
      http.get(
        JWKS_URL,
        () =>
          new HttpResponse(
            new ReadableStream<Uint8Array>({
              pull(controller) {
                pulled += chunk.byteLength
                controller.enqueue(chunk)
              },
            }),
            { headers: { 'content-type': 'application/json' } },
          ),
      ),
    )
    const err = await rejection(domainVerifier()(await validToken()))
    expect(err).toBeInstanceOf(ResponseError)
    expect((err as Error).message).toContain('1 MiB')
    expect(pulled).toBeLessThan(4 * 1024 * 1024)
  })
})

describe('createAccessTokenVerifier: keys kept between verifications', () => {
  it('stops using a kept key once the key set is refetched with another key under the same kid', async () => {
    // The verifier keeps the imported key per token header; a refetched key set must replace it.
    const s = await signers
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const jwks: ServedKeys = { keys: [s.a.jwk] }
    serveJwks(jwks)
    const verify = domainVerifier()
    const before = await signWith(s.a)
    await verify(before)
    await verify(before) // now from the kept key

    // The issuer replaces key-a by another key that has the same kid (impostor has kid "key-a").
    jwks.keys = [s.impostor.jwk]
    vi.setSystemTime(start + 11 * 60_000)
    const after = await signWith(s.impostor, accessClaims({ jti: 'new-key' }))
    await expect(verify(after)).resolves.toMatchObject({ jti: 'new-key' })
    await expectInvalidToken(verify(before), before, /signature is invalid/)
    expect(requestCount(JWKS_URL)).toBe(2)
  })

  it('keeps a key per token header: tokens of two keys, alternating, each verify with their own key', async () => {
    await serveDefaultJwks()
    const s = await signers
    const verify = domainVerifier()
    for (let i = 0; i < 3; i++) {
      await expect(verify(await signWith(s.a, accessClaims({ jti: `a-${i}` })))).resolves.toMatchObject({ jti: `a-${i}` })
      await expect(verify(await signWith(s.b, accessClaims({ jti: `b-${i}` })))).resolves.toMatchObject({ jti: `b-${i}` })
    }
    // key-a's header with key-b's signature: the kept key-a does not accept it.
    const [header] = (await signWith(s.a)).split('.') as [string]
    const [, payload, signature] = (await signWith(s.b)).split('.') as [string, string, string]
    const forged = `${header}.${payload}.${signature}`
    await expectInvalidToken(verify(forged), forged, /signature is invalid/)
    expect(requestCount(JWKS_URL)).toBe(1)
  })

  it('picks the one key of the right type for a token without kid', async () => {
    const s = await signers
    const { kid: _ecKid, ...ecWithoutKid } = s.ec.jwk
    const { kid: _aKid, ...aWithoutKid } = s.a.jwk
    serveJwks({ keys: [ecWithoutKid, aWithoutKid] })
    const token = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).sign(s.a.privateKey)
    await expect(domainVerifier()(token)).resolves.toMatchObject({ iss: ISSUER })
    await expect(domainVerifier()(token)).resolves.toMatchObject({ iss: ISSUER })
  })

  it('refuses a token without kid when several keys of its type are published', async () => {
    await serveDefaultJwks()
    const s = await signers
    const token = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).sign(s.a.privateKey)
    await expectInvalidToken(domainVerifier()(token), token, /"kid"/)
  })

  it('does not hand the persisted jwksCache keys to jose to freeze', async () => {
    const s = await signers
    const jwksCache: JwksCache = { jwks: { keys: [{ ...s.a.jwk } as Record<string, unknown>] }, uat: Date.now() }
    await domainVerifier({ jwksCache })(await validToken())
    expect(Object.isFrozen(jwksCache.jwks!.keys[0])).toBe(false)
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

describe('createAccessTokenVerifier: the jwksCache option', () => {
  it('makes no JWKS request when given a fresh pre-filled cache', async () => {
    const s = await signers
    const served = await serveDefaultJwks()
    const jwksCache: JwksCache = { jwks: { keys: served.keys as Record<string, unknown>[] }, uat: Date.now() }
    const verify = domainVerifier({ jwksCache })
    await expect(verify(await signWith(s.a))).resolves.toMatchObject({ iss: ISSUER })
    await expect(verify(await signWith(s.b))).resolves.toMatchObject({ iss: ISSUER })
    expect(requestCount(JWKS_URL)).toBe(0)
  })

  it('fills an empty cache object with jwks and uat, which another verifier can then use (after JSON)', async () => {
    const s = await signers
    const served = await serveDefaultJwks()
    const jwksCache: JwksCache = {}
    const before = Date.now()
    await domainVerifier({ jwksCache })(await signWith(s.a))
    expect(requestCount(JWKS_URL)).toBe(1)
    expect(jwksCache.jwks).toEqual(served)
    expect(jwksCache.uat).toBeGreaterThanOrEqual(before)
    expect(jwksCache.uat).toBeLessThanOrEqual(Date.now())

    const persisted = JSON.parse(JSON.stringify(jwksCache)) as JwksCache
    await domainVerifier({ jwksCache: persisted })(await signWith(s.b))
    expect(requestCount(JWKS_URL)).toBe(1)
  })

  it('refetches when the cached keys are too old (uat over 10 minutes ago) and updates the cache', async () => {
    const s = await signers
    await serveDefaultJwks()
    const stale = Date.now() - 11 * 60_000
    const jwksCache: JwksCache = { jwks: { keys: [s.a.jwk as Record<string, unknown>] }, uat: stale }
    await domainVerifier({ jwksCache })(await signWith(s.b))
    expect(requestCount(JWKS_URL)).toBe(1)
    expect(jwksCache.uat).toBeGreaterThan(stale)
    expect(jwksCache.jwks?.keys.map((k) => k.kid)).toEqual(['key-a', 'key-b', 'key-ec'])
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
    const err = thrownBy(() => createAccessTokenVerifier({ domain: DOMAIN, audience: AUDIENCE, dpopMaxAgeSeconds: 60 } as AccessTokenVerifierOptions))
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
    const err = thrownBy(() => dpopProofs({ maxAgeSeconds } as { maxAgeSeconds: number }))
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
    expect(requestCount(JWKS_URL)).toBe(0)
  })
})
