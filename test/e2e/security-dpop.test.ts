// DPoP against a real authorization server (scripts/auth-server.mjs, oidc-provider shaped like Auth0), with and without
// server nonces, and an API that checks the proofs with authcode/api.
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OAuthError, TokenClient, TokenManager, generateDpopKeyPair, type ClientConfig } from 'authcode'
import { InvalidTokenError, createAccessTokenVerifier, dpopProofs, type AccessTokenVerifier } from 'authcode/api'
import { rejection } from '../helpers/outcome.js'
import {
  type SecurityServer,
  startSecurityServer,
  type LocalServer,
  startLocalServer,
  recordingFetch,
  configFor,
  login,
  proof,
  startApi,
} from '../helpers/security-server.js'

let server: SecurityServer
let nonceServer: SecurityServer
let backchannel: LocalServer
let rsaKey: { privateKey: CryptoKey; publicJwk: JWK }
let ecKey: { privateKey: CryptoKey; publicJwk: JWK }

beforeAll(async () => {
  const rsa = await generateKeyPair('RS256')
  const ec = await generateKeyPair('ES256')
  rsaKey = { privateKey: rsa.privateKey, publicJwk: { ...(await exportJWK(rsa.publicKey)), alg: 'RS256', use: 'sig', kid: 'pkjwt-rs256' } }
  ecKey = { privateKey: ec.privateKey, publicJwk: { ...(await exportJWK(ec.publicKey)), alg: 'ES256', use: 'sig', kid: 'pkjwt-es256' } }
  backchannel = await startLocalServer(async () => ({ status: 200 }))
  server = await startSecurityServer({
    privateKeyJwtClientJwks: { keys: [rsaKey.publicJwk, ecKey.publicJwk] },
    backchannelLogoutUri: `${backchannel.url}/backchannel-logout`,
  })
  nonceServer = await startSecurityServer({ dpopNonces: true })
})

afterAll(async () => {
  await server?.close()
  await nonceServer?.close()
  await backchannel?.close()
})

const user = () => server.users[0]!

describe('DPoP against oidc-provider', () => {
  let dpop: CryptoKeyPair
  let jkt: string
  let config: ClientConfig
  let client: TokenClient
  let tokens: Awaited<ReturnType<TokenClient['exchangeCode']>>
  let authorizeUrl: URL
  const sent: Parameters<typeof recordingFetch>[0] = []
  let verify: AccessTokenVerifier

  beforeAll(async () => {
    dpop = await generateDpopKeyPair()
    jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey))
    config = configFor(server, server.clients.confidential, { dpop, fetch: recordingFetch(sent) })
    client = new TokenClient(config)
    const l = await login(server, config)
    authorizeUrl = l.url
    tokens = await client.exchangeCode({ code: l.code, ...l.transaction })
    verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true, dpop: dpopProofs() })
  })

  it('the authorization URL carries dpop_jkt; the exchange sends a proof and gets a DPoP-bound JWT (cnf.jkt)', () => {
    expect(authorizeUrl.searchParams.get('dpop_jkt')).toBe(jkt)
    const exchange = sent.find((r) => r.url.pathname === '/oauth/token')!
    const p = exchange.headers.get('dpop')!
    expect(decodeProtectedHeader(p)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
    expect(decodeJwt(p)).toMatchObject({ htm: 'POST', htu: `${server.url}/oauth/token` })
    expect(tokens.tokenType).toBe('DPoP')
    expect(decodeProtectedHeader(tokens.accessToken).typ).toBe('at+jwt')
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ cnf: { jkt }, aud: expect.arrayContaining([server.apiAudience]) })
  })

  it('a refresh gives another DPoP-bound token, with a proof', async () => {
    const before = sent.length
    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.tokenType).toBe('DPoP')
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ cnf: { jkt } })
    const refresh = sent.slice(before).find((r) => r.form.get('grant_type') === 'refresh_token')!
    expect(decodeJwt(refresh.headers.get('dpop')!)).toMatchObject({ htm: 'POST', htu: `${server.url}/oauth/token` })
    tokens = fresh
  })

  it('a code bound with dpop_jkt cannot be redeemed with another DPoP key', async () => {
    const l = await login(server, config)
    const thief = new TokenClient(configFor(server, server.clients.confidential, { dpop: await generateDpopKeyPair() }))
    const err = await rejection(thief.exchangeCode({ code: l.code, ...l.transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect((err as OAuthError).error).toMatch(/invalid_grant|invalid_dpop_proof/)
  })

  it("a public client's refresh token is bound to its DPoP key: refused with another key or without DPoP", async () => {
    const publicConfig = configFor(server, server.clients.public, { dpop })
    const l = await login(server, publicConfig)
    const publicTokens = await new TokenClient(publicConfig).exchangeCode({ code: l.code, ...l.transaction })
    expect(publicTokens.tokenType).toBe('DPoP')
    const otherKey = await rejection(new TokenClient(configFor(server, server.clients.public, { dpop: await generateDpopKeyPair() })).refresh({ refreshToken: publicTokens.refreshToken! }))
    expect(otherKey).toBeInstanceOf(OAuthError)
    expect(otherKey).toMatchObject({ error: 'invalid_grant' })
    const noDpop = await rejection(new TokenClient(configFor(server, server.clients.public)).refresh({ refreshToken: publicTokens.refreshToken! }))
    expect(noDpop).toBeInstanceOf(OAuthError)
    // The rightful holder still can (the failed attempts did not rotate it away).
    const fresh = await new TokenClient(publicConfig).refresh({ refreshToken: publicTokens.refreshToken! })
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ cnf: { jkt } })
  })

  it('the verifier accepts the token with the DPoP scheme and a valid proof', async () => {
    const url = 'https://api.authcode.example/contacts'
    const claims = await verify(`DPoP ${tokens.accessToken}`, {
      dpop: { proof: await proof(dpop, { htm: 'GET', htu: url, accessToken: tokens.accessToken }), method: 'GET', url },
    })
    expect(claims).toMatchObject({ sub: user().sub, cnf: { jkt } })
  })

  it('the verifier refuses it as Bearer, or without a proof', async () => {
    const url = 'https://api.authcode.example/contacts'
    const valid = await proof(dpop, { htm: 'GET', htu: url, accessToken: tokens.accessToken })
    const asBearer = await rejection(verify(`Bearer ${tokens.accessToken}`, { dpop: { proof: valid, method: 'GET', url } }))
    expect(asBearer).toBeInstanceOf(InvalidTokenError)
    expect((asBearer as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_token"/)
    const raw = await rejection(verify(tokens.accessToken))
    expect(raw).toBeInstanceOf(InvalidTokenError)
    const noProof = await rejection(verify(`DPoP ${tokens.accessToken}`, { dpop: { proof: undefined, method: 'GET', url } }))
    expect((noProof as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it.each([
    ['another URL', { htu: 'https://api.authcode.example/other' }],
    ['another method', { htm: 'POST' }],
    ['another access token (ath)', { accessToken: 'another-access-token' }],
    ['an old iat', { iat: Math.floor(Date.now() / 1000) - 3600 }],
  ])('the verifier refuses a proof for %s', async (_what, change) => {
    const url = 'https://api.authcode.example/contacts'
    const p = await proof(dpop, { htm: 'GET', htu: url, accessToken: tokens.accessToken, ...change })
    const err = await rejection(verify(`DPoP ${tokens.accessToken}`, { dpop: { proof: p, method: 'GET', url } }))
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect((err as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it('the verifier refuses a proof made with another key', async () => {
    const url = 'https://api.authcode.example/contacts'
    const other = await generateDpopKeyPair()
    const p = await proof(other, { htm: 'GET', htu: url, accessToken: tokens.accessToken })
    const err = await rejection(verify(`DPoP ${tokens.accessToken}`, { dpop: { proof: p, method: 'GET', url } }))
    expect((err as InvalidTokenError).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
    expect((err as Error).message).toMatch(/cnf\.jkt/)
  })

  it('TokenManager.fetch calls a local API with DPoP; the API verifies, and refuses a replay of the same proof', async () => {
    const api = await startApi(verify)
    try {
      const manager = new TokenManager({ client })
      await manager.save('jane', tokens)
      const res = await manager.fetch('jane', `${api.url}/contacts?page=2`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ sub: user().sub, body: '' })
      const first = api.requests[0]!
      expect(first.headers.authorization).toBe(`DPoP ${tokens.accessToken}`)
      const sentProof = first.headers.dpop as string
      expect(decodeJwt(sentProof)).toMatchObject({ htm: 'GET', htu: `${api.url}/contacts` })

      // The same proof again (a replay by whoever saw the request): refused.
      const replay = await fetch(`${api.url}/contacts?page=2`, { headers: { authorization: `DPoP ${tokens.accessToken}`, dpop: sentProof } })
      expect(replay.status).toBe(401)
      expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)
      expect(await replay.text()).toMatch(/replay/)

      // A POST with a body: a proof for POST, and the body arrives.
      const posted = await manager.fetch('jane', `${api.url}/contacts`, { method: 'POST', body: '{"name":"Ann"}', headers: { 'content-type': 'application/json' } })
      expect(posted.status).toBe(200)
      expect(await posted.json()).toEqual({ sub: user().sub, body: '{"name":"Ann"}' })
      expect(decodeJwt(api.requests.at(-1)!.headers.dpop as string)).toMatchObject({ htm: 'POST' })
    } finally {
      await api.close()
    }
  })

  it('an API that demands a DPoP nonce gets one retry with it', async () => {
    const api = await startApi(verify, { nonce: 'api-nonce-1' })
    try {
      const manager = new TokenManager({ client })
      await manager.save('jane', tokens)
      const res = await manager.fetch('jane', `${api.url}/contacts`)
      expect(res.status).toBe(200)
      expect(api.requests).toHaveLength(2)
      expect(decodeJwt(api.requests[0]!.headers.dpop as string).nonce).toBeUndefined()
      expect(decodeJwt(api.requests[1]!.headers.dpop as string).nonce).toBe('api-nonce-1')
    } finally {
      await api.close()
    }
  })
})

describe('DPoP against a server that requires nonces (use_dpop_nonce)', () => {
  it('PAR, exchange and refresh each succeed after one nonce retry; the nonce is reused afterwards', async () => {
    const dpop = await generateDpopKeyPair()
    const jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey))
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(nonceServer, nonceServer.clients.confidential, { dpop, fetch: recordingFetch(sent) })
    const l = await login(nonceServer, config, { par: true })
    const pars = sent.filter((r) => r.url.pathname === '/oauth/par')
    expect(pars).toHaveLength(2)
    expect(decodeJwt(pars[0]!.headers.get('dpop')!).nonce).toBeUndefined()
    expect(decodeJwt(pars[1]!.headers.get('dpop')!).nonce).toBeTypeOf('string')

    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code: l.code, ...l.transaction })
    expect(tokens.tokenType).toBe('DPoP')
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ cnf: { jkt } })
    const exchanges = sent.filter((r) => r.form.get('grant_type') === 'authorization_code')
    expect(exchanges.length).toBeGreaterThanOrEqual(1)
    expect(exchanges.length).toBeLessThanOrEqual(2)
    for (const e of exchanges) expect(decodeJwt(e.headers.get('dpop')!).htu).toBe(`${nonceServer.url}/oauth/token`)

    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ cnf: { jkt } })
    const refreshes = sent.filter((r) => r.form.get('grant_type') === 'refresh_token')
    expect(refreshes.length).toBeLessThanOrEqual(2)
    expect(decodeJwt(refreshes.at(-1)!.headers.get('dpop')!).nonce).toBeTypeOf('string')
  })

  it('the token endpoint itself: a first request with no nonce is answered use_dpop_nonce, the retry succeeds', async () => {
    const dpop = await generateDpopKeyPair()
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(nonceServer, nonceServer.clients.confidential, { dpop, fetch: recordingFetch(sent), audience: nonceServer.apiAudience })
    const m2m = await new TokenClient(config).clientCredentials()
    expect(m2m.tokenType).toBe('DPoP')
    const tokenRequests = sent.filter((r) => r.url.pathname === '/oauth/token')
    expect(tokenRequests).toHaveLength(2)
    expect(decodeJwt(tokenRequests[0]!.headers.get('dpop')!).nonce).toBeUndefined()
    expect(decodeJwt(tokenRequests[1]!.headers.get('dpop')!).nonce).toBeTypeOf('string')
  })
})
