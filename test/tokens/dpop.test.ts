// DPoP on the client: dpop_jkt in the authorization URL, proofs at the token endpoint and from TokenManager.fetch, nonce retries, key checks.
import { EmbeddedJWK, calculateJwkThumbprint, decodeJwt, exportJWK, jwtVerify, type JWK } from 'jose'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ConfigError,
  OAuthError,
  TokenClient,
  TokenManager,
  createAuthorizationRequest,
  generateDpopKeyPair,
  type ClientConfig,
  type TokenSet,
} from 'authcode'
import { InvalidTokenError, createAccessTokenVerifier, dpopProofs } from 'authcode/api'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  HttpResponse,
  REDIRECT_URI,
  http,
  onToken,
  server,
  testTenant,
  useMockServer,
} from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import { tokenJson, tokenEndpoint, transactionFor } from '../helpers/token-endpoint.js'

const log = useMockServer()

const TOKEN_URL = `https://${DOMAIN}/oauth/token`
const PAR_URL = `https://${DOMAIN}/oauth/par`
const JWKS_URL = `https://${DOMAIN}/.well-known/jwks.json`
const API_AUDIENCE = 'https://api.example.com'
const API_URL = 'https://api.example.com/contacts'
const REQUEST_URI = 'urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c'
const b64uSha256 = async (text: string) => Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')
const tokenRequests = () => log.filter((r) => r.url.href === TOKEN_URL)
const parRequests = () => log.filter((r) => r.url.href === PAR_URL)

describe('DPoP on the client', () => {
  let dpop: CryptoKeyPair
  let publicJwk: JWK
  let jkt: string
  let config: ClientConfig
  beforeAll(async () => {
    dpop = await generateDpopKeyPair()
    publicJwk = await exportJWK(dpop.publicKey)
    jkt = await calculateJwkThumbprint(publicJwk)
  })
  beforeEach(() => {
    // A new config object each test: one TokenClient (and so one nonce cache) per config.
    config = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop, retries: 0 }
  })

  async function checkProof(proof: string | null, p: { htm: string; htu: string; accessToken?: string; nonce?: string }) {
    expect(proof).toBeTypeOf('string')
    const { payload, protectedHeader } = await jwtVerify(proof!, EmbeddedJWK, { typ: 'dpop+jwt' })
    expect(protectedHeader).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
    expect(protectedHeader.jwk).toEqual(publicJwk)
    expect(protectedHeader.jwk).not.toHaveProperty('d')
    expect(payload).toMatchObject({ htm: p.htm, htu: p.htu })
    expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(5)
    expect(payload.jti).toMatch(/^.{16,}$/)
    if (p.accessToken === undefined) expect(payload.ath).toBeUndefined()
    else expect(payload.ath).toBe(await b64uSha256(p.accessToken))
    expect(payload.nonce).toBe(p.nonce)
    return payload
  }

  it('generateDpopKeyPair: ES256 by default, the private key not extractable, the public key exportable', async () => {
    expect(dpop.privateKey.extractable).toBe(false)
    expect(dpop.privateKey.type).toBe('private')
    expect(dpop.privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' })
    expect(dpop.privateKey.usages).toEqual(['sign'])
    await expect(crypto.subtle.exportKey('jwk', dpop.privateKey)).rejects.toThrow()
    await expect(crypto.subtle.exportKey('pkcs8', dpop.privateKey)).rejects.toThrow()
    expect(dpop.publicKey.extractable).toBe(true)
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' })
    const ps = await generateDpopKeyPair('PS256')
    expect(ps.privateKey.extractable).toBe(false)
    expect(ps.privateKey.algorithm).toMatchObject({ name: 'RSA-PSS' })
  })

  it('the authorization URL carries dpop_jkt, the thumbprint of the public key (and none without dpop)', async () => {
    const { url } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(url.searchParams.get('dpop_jkt')).toBe(jkt)
    expect(await new TokenClient(config).dpopThumbprint()).toBe(jkt)
    const plain = await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI })
    expect(plain.url.searchParams.has('dpop_jkt')).toBe(false)
    expect(await new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }).dpopThumbprint()).toBeUndefined()
  })

  it('with par, the PAR request carries a proof for /oauth/par and dpop_jkt', async () => {
    server.use(http.post(PAR_URL, () => HttpResponse.json({ request_uri: REQUEST_URI, expires_in: 60 }, { status: 201 })))
    await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, par: true })
    const [par] = parRequests()
    expect(par!.form.get('dpop_jkt')).toBe(jkt)
    await checkProof(par!.headers.get('dpop'), { htm: 'POST', htu: PAR_URL })
  })

  it('the code exchange carries a proof (typ dpop+jwt, htm POST, htu the token endpoint, the public jwk) and gives tokenType DPoP', async () => {
    tokenEndpoint({ tokenType: 'DPoP' })
    const transaction = await transactionFor(log, config)
    const tokens = await new TokenClient(config).exchangeCode({ code: 'code-1', ...transaction })
    expect(tokens.tokenType).toBe('DPoP')
    const [r] = tokenRequests()
    await checkProof(r!.headers.get('dpop'), { htm: 'POST', htu: TOKEN_URL })
    expect(r!.headers.get('authorization')).toBeNull()
  })

  it('token_type "dpop" (any case) is tokenType DPoP', async () => {
    tokenEndpoint({ tokenType: 'dpop' })
    const tokens = await new TokenClient(config).refresh({ refreshToken: 'rt-1' })
    expect(tokens.tokenType).toBe('DPoP')
  })

  it('use_dpop_nonce: retried exactly once with the nonce; the code is sent again; later requests start with the nonce', async () => {
    let calls = 0
    onToken(async () => {
      calls++
      if (calls === 1) return HttpResponse.json({ error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' }, { status: 400, headers: { 'DPoP-Nonce': 'eyJ7S_zG.eyJH0-Z.HX4w-7v' } })
      return HttpResponse.json(await tokenJson('DPoP'))
    })
    const transaction = await transactionFor(log, config)
    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code: 'code-1', ...transaction })
    expect(tokens.tokenType).toBe('DPoP')
    const [first, second] = tokenRequests()
    expect(tokenRequests()).toHaveLength(2)
    const p1 = await checkProof(first!.headers.get('dpop'), { htm: 'POST', htu: TOKEN_URL })
    const p2 = await checkProof(second!.headers.get('dpop'), { htm: 'POST', htu: TOKEN_URL, nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' })
    expect(p2.jti).not.toBe(p1.jti)
    expect(second!.form.get('code')).toBe('code-1')

    await client.refresh({ refreshToken: 'rt-1' })
    expect(tokenRequests()).toHaveLength(3)
    await checkProof(tokenRequests()[2]!.headers.get('dpop'), { htm: 'POST', htu: TOKEN_URL, nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' })
  })

  it('a server that keeps answering use_dpop_nonce gets two requests, then an OAuthError', async () => {
    let n = 0
    onToken(() => HttpResponse.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'DPoP-Nonce': `nonce-${++n}` } }))
    const err = await rejection(new TokenClient(config).refresh({ refreshToken: 'rt-1' }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'use_dpop_nonce', status: 400 })
    expect(tokenRequests()).toHaveLength(2)
  })

  it('other errors are not retried, and without dpop use_dpop_nonce is not retried either', async () => {
    onToken(() => HttpResponse.json({ error: 'invalid_grant' }, { status: 400, headers: { 'DPoP-Nonce': 'n' } }))
    await expect(new TokenClient(config).refresh({ refreshToken: 'rt-1' })).rejects.toMatchObject({ error: 'invalid_grant' })
    expect(tokenRequests()).toHaveLength(1)
    log.length = 0
    onToken(() => HttpResponse.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'DPoP-Nonce': 'n' } }))
    await expect(new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 0 }).refresh({ refreshToken: 'rt-1' })).rejects.toMatchObject({ error: 'use_dpop_nonce' })
    expect(tokenRequests()).toHaveLength(1)
    expect(tokenRequests()[0]!.headers.get('dpop')).toBeNull()
  })

  describe('TokenManager.fetch and fetchWithDpop', () => {
    let accessToken: string
    beforeEach(async () => {
      const tenant = await testTenant()
      accessToken = await tenant.signAccessToken({ cnf: { jkt } })
      server.use(http.get(JWKS_URL, () => HttpResponse.json(tenant.jwks)))
    })
    const bound = (): TokenSet => ({ accessToken, tokenType: 'DPoP', expiresAt: now() + 3600, refreshToken: 'rt-1' })
    const apiRequests = () => log.filter((r) => r.url.origin === 'https://api.example.com')

    /** An API that verifies with authcode/api; optionally wants a DPoP nonce first. */
    function api(p: { nonce?: string; alwaysNonce?: boolean } = {}) {
      const verify = createAccessTokenVerifier({ domain: DOMAIN, audience: API_AUDIENCE, dpop: dpopProofs() })
      server.use(
        http.all('https://api.example.com/*', async ({ request }) => {
          const proof = request.headers.get('dpop')
          const nonce = proof === null ? undefined : decodeJwt(proof).nonce
          if (p.alwaysNonce === true || (p.nonce !== undefined && nonce !== p.nonce)) {
            return new HttpResponse(null, { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'DPoP-Nonce': p.nonce ?? 'api-nonce' } })
          }
          try {
            const claims = await verify(request.headers.get('authorization'), { dpop: { proof, method: request.method, url: request.url } })
            return HttpResponse.json({ sub: claims.sub, body: await request.text() })
          } catch (err) {
            if (err instanceof InvalidTokenError) return new HttpResponse(err.message, { status: 401, headers: { 'WWW-Authenticate': err.wwwAuthenticate } })
            throw err
          }
        }),
      )
    }

    it('sends "authorization: DPoP <token>" and a proof with htm, htu (no query) and ath; the API verifier accepts it', async () => {
      api()
      const manager = new TokenManager({ client: new TokenClient(config) })
      await manager.save('u', bound())
      const res = await manager.fetch('u', `${API_URL}?page=2#top`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ sub: 'auth0|test-user', body: '' })
      const [r] = apiRequests()
      expect(r!.headers.get('authorization')).toBe(`DPoP ${accessToken}`)
      await checkProof(r!.headers.get('dpop'), { htm: 'GET', htu: API_URL, accessToken })
    })

    it('a POST with a body: proof for POST, the body and headers arrive, a caller-set Authorization is replaced', async () => {
      api()
      const manager = new TokenManager({ client: new TokenClient(config) })
      await manager.save('u', bound())
      const res = await manager.fetch('u', API_URL, { method: 'POST', body: '{"name":"Ann"}', headers: { 'content-type': 'application/json', authorization: 'Bearer stolen' } })
      expect(await res.json()).toEqual({ sub: 'auth0|test-user', body: '{"name":"Ann"}' })
      const [r] = apiRequests()
      expect(r!.headers.get('content-type')).toBe('application/json')
      expect(r!.headers.get('authorization')).toBe(`DPoP ${accessToken}`)
      await checkProof(r!.headers.get('dpop'), { htm: 'POST', htu: API_URL, accessToken })
    })

    it('an API answering 401 WWW-Authenticate: DPoP error="use_dpop_nonce" is retried once with the nonce (body sent again), no refresh', async () => {
      api({ nonce: 'api-nonce-7' })
      const manager = new TokenManager({ client: new TokenClient(config) })
      await manager.save('u', bound())
      const res = await manager.fetch('u', API_URL, { method: 'PUT', body: 'payload' })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ sub: 'auth0|test-user', body: 'payload' })
      const [first, second] = apiRequests()
      expect(apiRequests()).toHaveLength(2)
      expect(tokenRequests()).toHaveLength(0)
      const p1 = await checkProof(first!.headers.get('dpop'), { htm: 'PUT', htu: API_URL, accessToken })
      const p2 = await checkProof(second!.headers.get('dpop'), { htm: 'PUT', htu: API_URL, accessToken, nonce: 'api-nonce-7' })
      expect(p2.jti).not.toBe(p1.jti)
      expect(second!.form.toString()).toBe('payload=')
    })

    it('fetchWithDpop: an API that keeps asking for a nonce gets two requests and its 401 back', async () => {
      api({ alwaysNonce: true })
      const res = await new TokenClient(config).fetchWithDpop(accessToken, API_URL)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toContain('use_dpop_nonce')
      expect(apiRequests()).toHaveLength(2)
    })

    it('an expired DPoP token is refreshed with a proof, then the new token is sent with DPoP', async () => {
      api()
      const tenant = await testTenant()
      const freshToken = await tenant.signAccessToken({ cnf: { jkt } })
      onToken(() => HttpResponse.json({ access_token: freshToken, token_type: 'DPoP', expires_in: 3600, refresh_token: 'rt-2' }))
      const manager = new TokenManager({ client: new TokenClient(config) })
      await manager.save('u', { ...bound(), expiresAt: now() - 10 })
      const res = await manager.fetch('u', API_URL)
      expect(res.status).toBe(200)
      const [refresh] = tokenRequests()
      await checkProof(refresh!.headers.get('dpop'), { htm: 'POST', htu: TOKEN_URL })
      const [r] = apiRequests()
      expect(r!.headers.get('authorization')).toBe(`DPoP ${freshToken}`)
      await checkProof(r!.headers.get('dpop'), { htm: 'GET', htu: API_URL, accessToken: freshToken })
      expect((await manager.storage.get('u'))?.tokenType).toBe('DPoP')
    })

    it('a Bearer token is still sent as Bearer, without a proof', async () => {
      server.use(http.get(API_URL, () => HttpResponse.json({})))
      const manager = new TokenManager({ client: new TokenClient(config) })
      await manager.save('u', { accessToken: 'plain', tokenType: 'Bearer', expiresAt: now() + 3600 })
      await manager.fetch('u', API_URL)
      const [r] = apiRequests()
      expect(r!.headers.get('authorization')).toBe('Bearer plain')
      expect(r!.headers.get('dpop')).toBeNull()
    })

    it('fetchWithDpop without a dpop key pair is a ConfigError', async () => {
      await expect(new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }).fetchWithDpop(accessToken, API_URL)).rejects.toBeInstanceOf(ConfigError)
      expect(apiRequests()).toHaveLength(0)
    })
  })

  it('a dpop value that is not a key pair is a ConfigError naming dpop', () => {
    for (const bad of [{}, { privateKey: dpop.publicKey, publicKey: dpop.publicKey }, 'key' as unknown as CryptoKeyPair]) {
      expect(() => new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop: bad as CryptoKeyPair })).toThrow(ConfigError)
    }
  })

  // The config check looks at the key itself: left to oauth4webapi, such a key would be a bare TypeError
  // ('"DPoP.publicKey" must be a public CryptoKey') from the TokenClient constructor.
  it('a key pair whose public key is the private key, or not extractable, is a ConfigError (not a TypeError)', async () => {
    const publicJwkOnly = await crypto.subtle.exportKey('jwk', dpop.publicKey)
    const notExtractable = await crypto.subtle.importKey('jwk', publicJwkOnly, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    for (const publicKey of [dpop.privateKey, notExtractable]) {
      expect(() => new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop: { privateKey: dpop.privateKey, publicKey } })).toThrow(ConfigError)
    }
  })

  // Refused up front: left to the first request, such a key pair would fail as a token endpoint
  // ResponseError (status 0) although nothing was sent.
  it('a DPoP key pair that cannot sign (RSA-OAEP) is a ConfigError', async () => {
    tokenEndpoint()
    const oaep = (await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['encrypt', 'decrypt'],
    )) as CryptoKeyPair
    const err = await rejection((async () => new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop: oaep }).refresh({ refreshToken: 'rt-1' }))())
    expect(err).toBeInstanceOf(ConfigError)
  })
})
