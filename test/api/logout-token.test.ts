// verifyLogoutToken: back-channel logout tokens accepted and refused.
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AuthcodeError, ConfigError } from 'authcode'
import { LogoutTokenError, verifyLogoutToken, type VerifyLogoutTokenOptions } from 'authcode/api'
import { CLIENT_ID, HttpResponse, http, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'

const log = useMockServer()

describe('verifyLogoutToken', () => {
  const LOGOUT_DOMAIN = 'logout-tenant.auth0.example'
  const LOGOUT_ISSUER = `https://${LOGOUT_DOMAIN}/`
  const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
  let signer: { privateKey: CryptoKey; jwks: { keys: JWK[] } }

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256')
    signer = { privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'logout-key', alg: 'RS256', use: 'sig' }] } }
  })
  beforeEach(() => {
    server.use(http.get(`https://${LOGOUT_DOMAIN}/.well-known/jwks.json`, () => HttpResponse.json(signer.jwks)))
  })

  const options = (extra: Partial<VerifyLogoutTokenOptions> = {}): VerifyLogoutTokenOptions => ({ domain: LOGOUT_DOMAIN, clientId: CLIENT_ID, ...extra })

  function claims(extra: Record<string, unknown> = {}): JWTPayload {
    const c: Record<string, unknown> = {
      iss: LOGOUT_ISSUER,
      aud: CLIENT_ID,
      iat: now(),
      jti: crypto.randomUUID(),
      sub: 'auth0|jane',
      sid: 'sid-123',
      events: { [EVENT]: {} },
      ...extra,
    }
    for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k]
    return c as JWTPayload
  }

  function logoutToken(extra: Record<string, unknown> = {}, header: Partial<JWTHeaderParameters> = {}, key: CryptoKey = signer.privateKey): Promise<string> {
    return new SignJWT(claims(extra)).setProtectedHeader({ alg: 'RS256', kid: 'logout-key', typ: 'logout+jwt', ...header }).sign(key)
  }

  async function refused(token: string | Promise<string>, o: VerifyLogoutTokenOptions = options()): Promise<LogoutTokenError> {
    const err = await rejection(verifyLogoutToken(await token, o))
    expect(err).toBeInstanceOf(LogoutTokenError)
    expect(err).toMatchObject({ code: 'ERR_LOGOUT_TOKEN' })
    return err as LogoutTokenError
  }

  it('accepts a valid logout token (sid, sub, the back-channel event, typ logout+jwt) and returns its claims', async () => {
    const token = await logoutToken()
    const out = await verifyLogoutToken(token, options())
    expect(out).toMatchObject({ iss: LOGOUT_ISSUER, aud: CLIENT_ID, sub: 'auth0|jane', sid: 'sid-123', events: { [EVENT]: {} } })
    expect(out.jti).toBeTypeOf('string')
  })

  it('accepts sid alone, sub alone, an aud list, typ JWT, an exp in the future', async () => {
    await expect(verifyLogoutToken(await logoutToken({ sub: undefined }), options())).resolves.toMatchObject({ sid: 'sid-123' })
    await expect(verifyLogoutToken(await logoutToken({ sid: undefined }), options())).resolves.toMatchObject({ sub: 'auth0|jane' })
    await expect(verifyLogoutToken(await logoutToken({ aud: ['other', CLIENT_ID] }), options())).resolves.toBeDefined()
    await expect(verifyLogoutToken(await logoutToken({}, { typ: 'JWT' }), options())).resolves.toBeDefined()
    await expect(verifyLogoutToken(await logoutToken({ exp: now() + 120 }), options())).resolves.toBeDefined()
  })

  it('refuses a token with no events claim', async () => {
    await refused(logoutToken({ events: undefined }))
  })

  it.each([
    ['another event only', { 'http://schemas.openid.net/event/other': {} }],
    ['the member as true', { [EVENT]: true }],
    ['the member as a string', { [EVENT]: 'logout' }],
    ['the member as an array', { [EVENT]: [] }],
    ['the member as null', { [EVENT]: null }],
    ['events as a string', EVENT],
  ])('refuses events with %s', async (_what, events) => {
    await refused(logoutToken({ events }))
  })

  it('refuses a token with a nonce (an ID token in disguise)', async () => {
    await refused(logoutToken({ nonce: 'n-0S6_WzA2Mj' }))
  })

  it('refuses a token naming neither sub nor sid (or only non-strings)', async () => {
    await refused(logoutToken({ sub: undefined, sid: undefined }))
    await refused(logoutToken({ sub: 42, sid: undefined }))
    await refused(logoutToken({ sub: undefined, sid: ['s'] }))
  })

  it('refuses another audience', async () => {
    await refused(logoutToken({ aud: 'another-client' }))
    await refused(logoutToken(), options({ clientId: 'another-client' }))
  })

  it('refuses another issuer', async () => {
    await refused(logoutToken({ iss: 'https://evil.example/' }))
    await refused(logoutToken({ iss: `https://${LOGOUT_DOMAIN}` }))
  })

  it('refuses a token issued too long ago (maxAgeSeconds, default 300), from the future, or expired', async () => {
    await refused(logoutToken({ iat: now() - 120 }), options({ maxAgeSeconds: 60, clockToleranceSeconds: 0 }))
    await expect(verifyLogoutToken(await logoutToken({ iat: now() - 120 }), options())).resolves.toBeDefined()
    await refused(logoutToken({ iat: now() - 400 }), options({ clockToleranceSeconds: 0 }))
    await refused(logoutToken({ iat: now() + 600 }))
    await refused(logoutToken({ exp: now() - 600 }))
  })

  it('refuses a token without iat or jti', async () => {
    await refused(logoutToken({ iat: undefined }))
    await refused(logoutToken({ jti: undefined }))
  })

  it('refuses a replayed jti via seen (sync or async)', async () => {
    const jtis = new Set<string>()
    const seen = (jti: string) => {
      if (jtis.has(jti)) return true
      jtis.add(jti)
      return false
    }
    const token = await logoutToken()
    await verifyLogoutToken(token, options({ seen }))
    const e = await refused(token, options({ seen }))
    expect(e.message).toMatch(/replay/)
    const asyncSeen = async (jti: string) => seen(jti)
    const other = await logoutToken()
    await verifyLogoutToken(other, options({ seen: asyncSeen }))
    await refused(other, options({ seen: asyncSeen }))
  })

  it('refuses alg none, HS256, a foreign key, a tampered payload, a typ that is not a logout token', async () => {
    await refused(new UnsecuredJWT(claims()).encode())
    await refused(new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'logout-key' }).sign(new TextEncoder().encode('x'.repeat(32))))
    await refused(logoutToken({}, {}, (await generateKeyPair('RS256')).privateKey))
    const [h, , s] = (await logoutToken()).split('.')
    const forged = Buffer.from(JSON.stringify(claims({ sub: 'auth0|admin' }))).toString('base64url')
    await refused(`${h}.${forged}.${s}`)
    await refused(logoutToken({}, { typ: 'at+jwt' }))
  })

  it('refuses what is not a signed JWT', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d.e', null as unknown as string]) await refused(token)
  })

  it('the options are checked: a none/HS algorithm or no clientId is a ConfigError', async () => {
    const token = await logoutToken()
    await expect(verifyLogoutToken(token, options({ algorithms: ['none'] }))).rejects.toBeInstanceOf(ConfigError)
    await expect(verifyLogoutToken(token, options({ algorithms: ['HS256'] }))).rejects.toBeInstanceOf(ConfigError)
    await expect(verifyLogoutToken(token, options({ clientId: '' }))).rejects.toBeInstanceOf(ConfigError)
  })

  it('every failure is an AuthcodeError whose message does not carry the token', async () => {
    const token = await logoutToken({ nonce: 'x' })
    const e = await refused(token)
    expect(e).toBeInstanceOf(AuthcodeError)
    expect(e.message).not.toContain(token)
  })
})
