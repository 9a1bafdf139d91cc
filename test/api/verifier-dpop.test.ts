// createAccessTokenVerifier with DPoP-bound tokens: the proof, its binding to the request and the token, replays.
import {
  SignJWT,
  UnsecuredJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { generateDpopKeyPair } from 'authcode'
import { InvalidTokenError, createAccessTokenVerifier, dpopProofs, type DpopProofsOptions } from 'authcode/api'
import { DOMAIN, HttpResponse, http, server, testTenant, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'

const log = useMockServer()
const JWKS_URL = `https://${DOMAIN}/.well-known/jwks.json`
const API_AUDIENCE = 'https://api.example.com'
const b64uSha256 = async (text: string) => Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

describe('createAccessTokenVerifier with DPoP-bound tokens', () => {
  let key: CryptoKeyPair
  let jwk: JWK
  let jkt: string
  let token: string
  let unbound: string
  const URL_ = 'https://api.example.com/contacts'

  beforeAll(async () => {
    key = await generateDpopKeyPair()
    jwk = await exportJWK(key.publicKey)
    jkt = await calculateJwkThumbprint(jwk)
    const tenant = await testTenant()
    token = await tenant.signAccessToken({ cnf: { jkt } })
    unbound = await tenant.signAccessToken()
  })
  beforeEach(async () => {
    const tenant = await testTenant()
    server.use(http.get(JWKS_URL, () => HttpResponse.json(tenant.jwks)))
  })

  // Each verifier with its own dpopProofs(), so its own jti memory.
  const verifier = (dpop: DpopProofsOptions = {}) => createAccessTokenVerifier({ domain: DOMAIN, audience: API_AUDIENCE, dpop: dpopProofs(dpop) })

  // A claim given as undefined is left out of the proof.
  async function proofFor(p: { claims?: Record<string, unknown>; header?: Partial<JWTHeaderParameters>; keys?: CryptoKeyPair; accessToken?: string } = {}): Promise<string> {
    const keys = p.keys ?? key
    const payload: Record<string, unknown> = {
      htm: 'GET',
      htu: URL_,
      iat: now(),
      jti: crypto.randomUUID(),
      ath: await b64uSha256(p.accessToken ?? token),
      ...p.claims,
    }
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey), ...p.header })
      .sign(keys.privateKey)
  }

  async function refused(promise: Promise<unknown>, error: 'invalid_dpop_proof' | 'invalid_token' = 'invalid_dpop_proof'): Promise<InvalidTokenError> {
    const err = await rejection(promise)
    expect(err).toBeInstanceOf(InvalidTokenError)
    const e = err as InvalidTokenError
    expect(e.status).toBe(401)
    expect(e.wwwAuthenticate.startsWith(`DPoP error="${error}"`)).toBe(true)
    expect(e.wwwAuthenticate).toContain('algs="')
    expect(`${e.message} ${e.wwwAuthenticate}`).not.toContain(token)
    return e
  }

  it('accepts a bound token with the DPoP scheme and a valid proof (method in any case, query ignored)', async () => {
    const verify = verifier()
    const claims = await verify(`DPoP ${token}`, { dpop: { proof: await proofFor(), method: 'GET', url: URL_ } })
    expect(claims.cnf).toEqual({ jkt })
    await expect(verify(`dpop ${token}`, { dpop: { proof: await proofFor(), method: 'get', url: new URL(`${URL_}?page=2#x`) } })).resolves.toMatchObject({ sub: 'auth0|test-user' })
  })

  it('refuses a request with no proof', async () => {
    const e = await refused(verifier()(`DPoP ${token}`, { dpop: { proof: null, method: 'GET', url: URL_ } }))
    expect(e.error).toBe('invalid_dpop_proof')
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: '', method: 'GET', url: URL_ } }))
  })

  it('refuses a bound token when the API gave no request to check (invalid_token, DPoP challenge)', async () => {
    await refused(verifier()(`DPoP ${token}`), 'invalid_token')
  })

  it('refuses a bound token sent as Bearer or bare, even with a valid proof', async () => {
    const dpop = { proof: await proofFor(), method: 'GET', url: URL_ }
    await refused(verifier()(`Bearer ${token}`, { dpop }), 'invalid_token')
    await refused(verifier()(token, { dpop }), 'invalid_token')
  })

  it('refuses a proof for another method (htm)', async () => {
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor({ claims: { htm: 'POST' } }), method: 'GET', url: URL_ } }))
  })

  it.each([
    ['another path', 'https://api.example.com/admin'],
    ['another origin', 'https://evil.example.com/contacts'],
    ['another scheme', 'http://api.example.com/contacts'],
    ['no htu', undefined],
    ['an htu that is not a URL', 'contacts'],
  ])('refuses a proof for %s (htu)', async (_what, htu) => {
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor({ claims: { htu } }), method: 'GET', url: URL_ } }))
  })

  it('refuses a proof with an iat too old or too far in the future, or none; dpopProofs({ maxAgeSeconds }) tightens the window', async () => {
    for (const iat of [now() - 400, now() + 400, undefined]) {
      await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor({ claims: { iat } }), method: 'GET', url: URL_ } }))
    }
    const proof = await proofFor({ claims: { iat: now() - 100 } })
    await refused(verifier({ maxAgeSeconds: 60 })(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } }))
    await expect(verifier()(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } })).resolves.toBeDefined()
  })

  it('refuses a proof whose ath is for another token, or that has no ath', async () => {
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor({ accessToken: unbound }), method: 'GET', url: URL_ } }))
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor({ claims: { ath: undefined } }), method: 'GET', url: URL_ } }))
  })

  it('refuses a proof signed by a key that does not match cnf.jkt', async () => {
    const other = await generateDpopKeyPair()
    const e = await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor({ keys: other }), method: 'GET', url: URL_ } }))
    expect(e.message).toMatch(/cnf\.jkt/)
  })

  it('refuses a proof whose signature is not by its embedded key (the bound key embedded, another key signing)', async () => {
    const other = await generateDpopKeyPair()
    const forged = await new SignJWT({ htm: 'GET', htu: URL_, iat: now(), jti: crypto.randomUUID(), ath: await b64uSha256(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(other.privateKey)
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: forged, method: 'GET', url: URL_ } }))
  })

  it('refuses a replayed proof (same jti), also when both arrive at once; another jti is fine', async () => {
    const verify = verifier()
    const proof = await proofFor()
    await verify(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } })
    const e = await refused(verify(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } }))
    expect(e.message).toMatch(/replay/)
    const twin = await proofFor()
    const results = await Promise.allSettled([1, 2].map(() => verify(`DPoP ${token}`, { dpop: { proof: twin, method: 'GET', url: URL_ } })))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    await expect(verify(`DPoP ${token}`, { dpop: { proof: await proofFor(), method: 'GET', url: URL_ } })).resolves.toBeDefined()
  })

  // A proof is accepted while now - iat <= maxAgeSeconds + clockTolerance (305 s), so its jti must be
  // remembered that long too, not only until iat + maxAgeSeconds (300 s).
  it('refuses the replay of a proof near the end of its accepted window', async () => {
    const verify = verifier()
    const proof = await proofFor({ claims: { iat: now() - 302 } })
    await verify(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } })
    await refused(verify(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } }))
  })

  it.each([
    ['typ JWT', { header: { typ: 'JWT' } }],
    ['no jti', { claims: { jti: undefined } }],
  ] as const)('refuses a proof with %s', async (_what, change) => {
    await refused(verifier()(`DPoP ${token}`, { dpop: { proof: await proofFor(change), method: 'GET', url: URL_ } }))
  })

  it('refuses a proof that is not a JWT, an unsigned one, or one that embeds a private key', async () => {
    const unsigned = new UnsecuredJWT({ htm: 'GET', htu: URL_, iat: now(), jti: crypto.randomUUID(), ath: await b64uSha256(token) }).encode()
    const extractable = await generateKeyPair('ES256', { extractable: true })
    const privateJwk = await exportJWK(extractable.privateKey)
    const boundToExtractable = await (await testTenant()).signAccessToken({ cnf: { jkt: await calculateJwkThumbprint(await exportJWK(extractable.publicKey)) } })
    const withPrivate = await new SignJWT({ htm: 'GET', htu: URL_, iat: now(), jti: crypto.randomUUID(), ath: await b64uSha256(boundToExtractable) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .sign(extractable.privateKey)
    for (const [t, proof] of [[token, 'not-a-jwt'], [token, unsigned], [boundToExtractable, withPrivate]] as const) {
      await refused(verifier()(`DPoP ${t}`, { dpop: { proof, method: 'GET', url: URL_ } }))
    }
  })

  it('refuses a bound token with a valid proof when the verifier was made without dpop: dpopProofs() (401, DPoP challenge)', async () => {
    const withoutDpop = createAccessTokenVerifier({ domain: DOMAIN, audience: API_AUDIENCE })
    for (const authorization of [`DPoP ${token}`, `Bearer ${token}`, token]) {
      const e = await refused(withoutDpop(authorization, { dpop: { proof: await proofFor(), method: 'GET', url: URL_ } }), 'invalid_token')
      expect(e.message).toMatch(/does not accept DPoP-bound.*dpop: dpopProofs\(\)/)
    }
    await refused(withoutDpop(`DPoP ${token}`), 'invalid_token')
    // Unbound tokens are unaffected; the DPoP scheme with one is refused as with dpopProofs().
    await expect(withoutDpop(`Bearer ${unbound}`)).resolves.toMatchObject({ sub: 'auth0|test-user' })
    await refused(withoutDpop(`DPoP ${unbound}`, { dpop: { proof: await proofFor({ accessToken: unbound }), method: 'GET', url: URL_ } }), 'invalid_token')
  })

  it('two verifiers given one dpopProofs() share its jti memory: a proof used at one is a replay at the other; separate dpopProofs() do not', async () => {
    const shared = dpopProofs()
    const first = createAccessTokenVerifier({ domain: DOMAIN, audience: API_AUDIENCE, dpop: shared })
    const second = createAccessTokenVerifier({ domain: DOMAIN, audience: API_AUDIENCE, dpop: shared })
    const proof = await proofFor()
    await expect(first(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } })).resolves.toBeDefined()
    expect((await refused(second(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } }))).message).toMatch(/replay/)

    const separate = createAccessTokenVerifier({ domain: DOMAIN, audience: API_AUDIENCE, dpop: dpopProofs() })
    await expect(separate(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } })).resolves.toBeDefined()
    expect((await refused(separate(`DPoP ${token}`, { dpop: { proof, method: 'GET', url: URL_ } }))).message).toMatch(/replay/)
  })

  it('the DPoP scheme with a token that is not bound is invalid_token; the same token as Bearer is fine', async () => {
    const verify = verifier()
    const dpop = { proof: await proofFor({ accessToken: unbound }), method: 'GET', url: URL_ }
    const e = await refused(verify(`DPoP ${unbound}`, { dpop }), 'invalid_token')
    expect(e.error).toBe('invalid_token')
    await expect(verify(`Bearer ${unbound}`, { dpop })).resolves.toMatchObject({ sub: 'auth0|test-user' })
  })
})
