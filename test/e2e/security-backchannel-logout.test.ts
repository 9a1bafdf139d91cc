// Back-channel logout against a real authorization server (scripts/auth-server.mjs, oidc-provider shaped like Auth0):
// the logout token it POSTs, checked with verifyLogoutToken.
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenClient, buildLogoutUrl } from 'authcode'
import { LogoutTokenError, verifyLogoutToken } from 'authcode/api'
import { locationOf, parseForm, send } from '../helpers/auth-server.js'
import {
  BACKCHANNEL_EVENT,
  type SecurityServer,
  startSecurityServer,
  type LocalServer,
  startLocalServer,
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

describe('back-channel logout against oidc-provider', () => {
  it('ending the session POSTs a logout token that verifyLogoutToken accepts (sid and sub of the login)', async () => {
    const config = configFor(server, server.clients.confidential)
    const l = await login(server, config)
    const tokens = await new TokenClient(config).exchangeCode({ code: l.code, ...l.transaction })
    const sid = tokens.claims?.sid
    expect(sid).toBeTypeOf('string')

    const before = backchannel.requests.length
    const logoutUrl = buildLogoutUrl({
      endSessionEndpoint: `${server.url}/oidc/logout`,
      clientId: server.clients.confidential.clientId,
      idTokenHint: tokens.idToken!,
      returnTo: 'http://localhost:3000/',
    })
    const page = await send(l.jar, logoutUrl)
    const { action, fields } = parseForm(await page.text(), logoutUrl)
    const done = await send(l.jar, action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() })
    expect(locationOf(done, action).href).toBe('http://localhost:3000/')

    const deadline = Date.now() + 5_000
    while (backchannel.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const received = backchannel.requests.slice(before).find((r) => r.url === '/backchannel-logout')
    expect(received?.method).toBe('POST')
    const logoutToken = new URLSearchParams(received!.body).get('logout_token')!
    expect(decodeProtectedHeader(logoutToken).typ).toBe('logout+jwt')

    const seen = new Set<string>()
    const options = {
      issuer: server.issuer,
      clientId: server.clients.confidential.clientId,
      allowInsecureRequests: true,
      seen: (jti: string) => (seen.has(jti) ? true : (seen.add(jti), false)),
    }
    const claims = await verifyLogoutToken(logoutToken, options)
    expect(claims).toMatchObject({ iss: server.issuer, aud: server.clients.confidential.clientId, sub: user().sub, sid })
    expect(claims.events[BACKCHANNEL_EVENT]).toEqual({})
    // The same token again (a replay): refused.
    await expect(verifyLogoutToken(logoutToken, options)).rejects.toBeInstanceOf(LogoutTokenError)
    // Another application's ID is not its audience.
    const { seen: _seen, ...withoutSeen } = options
    await expect(verifyLogoutToken(logoutToken, { ...withoutSeen, clientId: server.clients.basic.clientId })).rejects.toBeInstanceOf(LogoutTokenError)
  })
})
