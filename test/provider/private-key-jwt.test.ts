// private_key_jwt client authentication against a stand-in Auth0: the client assertion on every request, and the key checks.
import { generateKeyPair, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, TokenClient, type ClientConfig } from 'authcode'
import { CLIENT_ID, DOMAIN, HttpResponse, ISSUER, http, server, useMockServer, type Recorded } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import { tokenEndpoint, transactionFor } from '../helpers/token-endpoint.js'

const log = useMockServer()

const TOKEN_URL = `https://${DOMAIN}/oauth/token`
const REVOKE_URL = `https://${DOMAIN}/oauth/revoke`
const API_AUDIENCE = 'https://api.example.com'
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const tokenRequests = () => log.filter((r) => r.url.href === TOKEN_URL)

describe('private_key_jwt client authentication', () => {
  let rsa: CryptoKeyPair
  let ec: CryptoKeyPair
  beforeAll(async () => {
    rsa = await generateKeyPair('RS256')
    ec = await generateKeyPair('ES256')
  })

  function expectNoSecret(r: Recorded) {
    expect(r.form.has('client_secret')).toBe(false)
    expect(r.headers.get('authorization')).toBeNull()
  }

  async function checkAssertion(r: Recorded, publicKey: CryptoKey, alg: string) {
    expect(r.form.get('client_assertion_type')).toBe(JWT_BEARER)
    expect(r.form.get('client_id')).toBe(CLIENT_ID)
    const assertion = r.form.get('client_assertion')!
    const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, {
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      audience: [ISSUER, TOKEN_URL],
      algorithms: [alg],
      requiredClaims: ['jti', 'exp', 'iat'],
    })
    expect(payload.jti).toMatch(/^.{16,}$/)
    expect(payload.exp).toBeGreaterThan(now())
    expect(payload.exp! - now()).toBeLessThanOrEqual(300)
    return { payload, protectedHeader }
  }

  it('exchanges a code with a client assertion signed by the CryptoKey (RS256): jwt-bearer, iss=sub=client_id, aud, jti, exp; no secret', async () => {
    tokenEndpoint()
    const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey: rsa.privateKey }
    const transaction = await transactionFor(log, config)
    const tokens = await new TokenClient(config).exchangeCode({ code: 'code-1', ...transaction })
    expect(tokens.accessToken).toBeTypeOf('string')
    const [r] = tokenRequests()
    expectNoSecret(r!)
    expect(r!.form.get('grant_type')).toBe('authorization_code')
    const { protectedHeader } = await checkAssertion(r!, rsa.publicKey, 'RS256')
    expect(protectedHeader.kid).toBeUndefined()
    // Signed by the configured key and no other.
    await expect(jwtVerify(r!.form.get('client_assertion')!, (await generateKeyPair('RS256')).publicKey)).rejects.toThrow()
  })

  it('a key given as { key, kid } (ES256): the kid is in the header', async () => {
    tokenEndpoint()
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey: { key: ec.privateKey, kid: 'client-key-2' } })
    await client.refresh({ refreshToken: 'rt-1' })
    const [r] = tokenRequests()
    expectNoSecret(r!)
    const { protectedHeader } = await checkAssertion(r!, ec.publicKey, 'ES256')
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'client-key-2' })
  })

  it('every request gets its own assertion (a fresh jti): exchange, refresh, client credentials, revocation', async () => {
    tokenEndpoint()
    server.use(http.post(REVOKE_URL, () => new HttpResponse(null, { status: 200 })))
    const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey: rsa.privateKey }
    const transaction = await transactionFor(log, config)
    const client = new TokenClient(config)
    await client.exchangeCode({ code: 'code-1', ...transaction })
    await client.refresh({ refreshToken: 'rt-1' })
    await client.clientCredentials({ audience: API_AUDIENCE })
    await client.revoke('rt-1')
    expect(log).toHaveLength(4)
    const jtis = new Set<unknown>()
    for (const r of log) {
      expectNoSecret(r)
      const { payload } = await checkAssertion(r, rsa.publicKey, 'RS256')
      jtis.add(payload.jti)
    }
    expect(jtis.size).toBe(4)
  })

  it('the config needs a private key: none, a public key or a string is a ConfigError naming privateKey', () => {
    const base = { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt' } as const
    for (const privateKey of [undefined, rsa.publicKey, 'pem-text' as unknown as CryptoKey, { kid: 'k' } as unknown as CryptoKey]) {
      const err = (() => {
        try {
          new TokenClient({ ...base, privateKey })
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(err).toBeInstanceOf(ConfigError)
      expect(String(err)).toContain('privateKey')
    }
  })

  // Refused up front: left to the first request, such a key would fail as a token endpoint ResponseError
  // (status 0) although nothing was sent.
  it('a private key that cannot sign JWTs (RSA-OAEP) is a ConfigError, not a token endpoint ResponseError', async () => {
    tokenEndpoint()
    const oaep = (await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['encrypt', 'decrypt'],
    )) as CryptoKeyPair
    const err = await rejection(
      (async () => new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey: oaep.privateKey }).clientCredentials({ audience: API_AUDIENCE }))(),
    )
    expect(err).toBeInstanceOf(ConfigError)
  })
})
