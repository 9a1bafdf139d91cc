// private_key_jwt and Pushed Authorization Requests against a real authorization server (scripts/auth-server.mjs,
// oidc-provider shaped like Auth0).
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OAuthError, TokenClient, createAuthorizationRequest } from 'authcode'
import { createAccessTokenVerifier } from 'authcode/api'
import { locationOf, send } from '../helpers/auth-server.js'
import { rejection } from '../helpers/outcome.js'
import { REDIRECT_URI } from '../helpers/e2e-login.js'
import {
  type PrivateKeyJwtClient,
  type SecurityServer,
  startSecurityServer,
  type LocalServer,
  startLocalServer,
  recordingFetch,
  configFor,
  login,
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
const pkjwt = (): PrivateKeyJwtClient => server.clients.privateKeyJwt!

describe('private_key_jwt against oidc-provider', () => {
  it('the server registered the private_key_jwt application with our public keys only', () => {
    expect(pkjwt()).toEqual({ clientId: 'authcode-pkjwt-app', clientAuth: 'private_key_jwt' })
    expect(rsaKey.publicJwk).not.toHaveProperty('d')
  })

  it('a full code exchange and refresh with a CryptoKey: client_assertion, no secret, tokens the API accepts', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, pkjwt(), { privateKey: rsaKey.privateKey, fetch: recordingFetch(sent) })
    const { code, transaction } = await login(server, config)
    const client = new TokenClient(config)
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(tokens.claims).toMatchObject({ iss: server.issuer, aud: pkjwt().clientId, sub: user().sub, nonce: transaction.nonce })
    expect(tokens.refreshToken).toBeTypeOf('string')

    const tokenRequest = sent.find((r) => r.url.pathname === '/oauth/token')!
    expect(tokenRequest.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(tokenRequest.form.has('client_secret')).toBe(false)
    expect(tokenRequest.headers.has('authorization')).toBe(false)
    const assertion = tokenRequest.form.get('client_assertion')!
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256' })
    expect(decodeJwt(assertion)).toMatchObject({ iss: pkjwt().clientId, sub: pkjwt().clientId, aud: server.issuer })

    const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    await expect(verify(tokens.accessToken)).resolves.toMatchObject({ sub: user().sub, azp: pkjwt().clientId })

    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    const refreshRequest = sent.filter((r) => r.url.pathname === '/oauth/token')[1]!
    expect(refreshRequest.form.get('grant_type')).toBe('refresh_token')
    // A fresh assertion each time (oidc-provider refuses a reused jti).
    expect(decodeJwt(refreshRequest.form.get('client_assertion')!).jti).not.toBe(decodeJwt(assertion).jti)
  })

  it('a key given as { key, kid }: the assertion names the kid, and the exchange succeeds', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, pkjwt(), { privateKey: { key: ecKey.privateKey, kid: 'pkjwt-es256' }, fetch: recordingFetch(sent) })
    const { code, transaction } = await login(server, config)
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.claims?.sub).toBe(user().sub)
    const assertion = sent.find((r) => r.url.pathname === '/oauth/token')!.form.get('client_assertion')!
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'ES256', kid: 'pkjwt-es256' })
  })

  it('client credentials with private_key_jwt', async () => {
    const client = new TokenClient(configFor(server, pkjwt(), { privateKey: rsaKey.privateKey, audience: server.apiAudience }))
    const m2m = await client.clientCredentials()
    expect(decodeJwt(m2m.accessToken)).toMatchObject({ sub: `${pkjwt().clientId}@clients`, aud: server.apiAudience })
  })

  it('a key the application did not register is invalid_client', async () => {
    const stranger = await generateKeyPair('RS256')
    const config = configFor(server, pkjwt(), { privateKey: rsaKey.privateKey })
    const { code, transaction } = await login(server, config)
    const err = await rejection(new TokenClient(configFor(server, pkjwt(), { privateKey: stranger.privateKey })).exchangeCode({ code, ...transaction }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 })
  })

  it('a forged assertion (another kid, the registered kid with a foreign key) is invalid_client', async () => {
    const stranger = await generateKeyPair('ES256')
    const client = new TokenClient(configFor(server, pkjwt(), { privateKey: { key: stranger.privateKey, kid: 'pkjwt-es256' }, audience: server.apiAudience }))
    const err = await rejection(client.clientCredentials())
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_client' })
  })
})

describe('Pushed Authorization Requests against oidc-provider', () => {
  it('par: true pushes to /oauth/par; the short URL logs in and the code exchanges (confidential client)', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, server.clients.confidential, { fetch: recordingFetch(sent) })
    const { url, transaction, code } = await login(server, config, { par: true, organization: 'org_acme' })
    expect(url.origin + url.pathname).toBe(`${server.url}/authorize`)
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(url.searchParams.get('client_id')).toBe(server.clients.confidential.clientId)
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    const par = sent.find((r) => r.url.pathname === '/oauth/par')!
    expect(par.method).toBe('POST')
    expect(par.form.get('client_secret')).toBe(server.clients.confidential.clientSecret)
    expect(par.form.get('state')).toBe(transaction.state)

    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    // Everything pushed took effect: nonce, organization, audience (resource), offline_access.
    expect(tokens.claims).toMatchObject({ sub: user().sub, nonce: transaction.nonce, org_id: 'org_acme' })
    expect(decodeJwt(tokens.accessToken).aud).toContain(server.apiAudience)
    expect(tokens.refreshToken).toBeTypeOf('string')
  })

  it('par: true with the private_key_jwt application (the PAR request is authenticated by assertion)', async () => {
    const sent: Parameters<typeof recordingFetch>[0] = []
    const config = configFor(server, pkjwt(), { privateKey: rsaKey.privateKey, fetch: recordingFetch(sent) })
    const { code, transaction } = await login(server, config, { par: true })
    const par = sent.find((r) => r.url.pathname === '/oauth/par')!
    expect(par.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(par.form.has('client_secret')).toBe(false)
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.claims?.aud).toBe(pkjwt().clientId)
  })

  it('par: true with a public client (PKCE only)', async () => {
    const config = configFor(server, server.clients.public)
    const { code, transaction, url } = await login(server, config, { par: true })
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const tokens = await new TokenClient(config).exchangeCode({ code, ...transaction })
    expect(tokens.claims?.sub).toBe(user().sub)
  })

  it('a request the server refuses at PAR time is an OAuthError (unregistered redirect_uri, wrong secret)', async () => {
    const config = configFor(server, server.clients.confidential)
    const badRedirect = await rejection(createAuthorizationRequest(config, { redirectUri: 'https://evil.example/callback', par: true }))
    expect(badRedirect).toBeInstanceOf(OAuthError)
    expect(badRedirect).toMatchObject({ status: 400 })
    expect((badRedirect as OAuthError).error).toMatch(/invalid_redirect_uri|invalid_request/)

    const wrongSecret = await rejection(
      createAuthorizationRequest(configFor(server, server.clients.confidential, { clientSecret: 'not-the-secret-0123456789' }), { redirectUri: REDIRECT_URI, par: true }),
    )
    expect(wrongSecret).toBeInstanceOf(OAuthError)
    expect(wrongSecret).toMatchObject({ error: 'invalid_client', status: 401 })
  })

  it('a request_uri works once', async () => {
    const config = configFor(server, server.clients.confidential)
    const { url, jar } = await login(server, config, { par: true })
    const again = await send(jar, url)
    // oidc-provider shows an error page (or redirects with an error) for a consumed request_uri.
    if (again.status >= 300 && again.status < 400) {
      expect(locationOf(again, url).searchParams.get('error')).toBeTruthy()
    } else {
      expect(again.status).toBe(400)
    }
  })
})
