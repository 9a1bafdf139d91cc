// Pushed Authorization Requests (par: true) against a stand-in Auth0: what is pushed, how the client authenticates, and the short URL.
import { generateKeyPair, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { ConfigError, OAuthError, ResponseError, createAuthorizationRequest, createCodeChallenge, type ClientConfig } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, ISSUER, REDIRECT_URI, http, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'

const log = useMockServer()
const PAR_URL = `https://${DOMAIN}/oauth/par`
const AUTHORIZE_URL = `https://${DOMAIN}/authorize`
const API_AUDIENCE = 'https://api.example.com'
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const REQUEST_URI = 'urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c'
const parRequests = () => log.filter((r) => r.url.href === PAR_URL)

describe('Pushed Authorization Requests (par: true)', () => {
  function parEndpoint(answer: () => Response = () => HttpResponse.json({ request_uri: REQUEST_URI, expires_in: 60 }, { status: 201 })) {
    server.use(http.post(PAR_URL, answer))
  }

  it('POSTs every parameter with client authentication to /oauth/par and returns a URL with only client_id and request_uri', async () => {
    parEndpoint()
    const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, audience: API_AUDIENCE }
    const { url, transaction } = await createAuthorizationRequest(config, {
      redirectUri: REDIRECT_URI,
      par: true,
      scope: 'openid profile offline_access',
      organization: 'org_123',
      maxAge: 600,
      prompt: 'login',
      extraParams: { ext: 'x' },
    })
    expect(url.origin + url.pathname).toBe(AUTHORIZE_URL)
    expect([...url.searchParams]).toEqual([
      ['client_id', CLIENT_ID],
      ['request_uri', REQUEST_URI],
    ])
    const [par] = parRequests()
    expect(log).toHaveLength(1)
    expect(par!.method).toBe('POST')
    expect(par!.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/)
    expect(Object.fromEntries(par!.form)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile offline_access',
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await createCodeChallenge(transaction.codeVerifier),
      code_challenge_method: 'S256',
      audience: API_AUDIENCE,
      organization: 'org_123',
      max_age: '600',
      prompt: 'login',
      ext: 'x',
    })
    // Each parameter once, and never the PKCE verifier.
    expect(par!.form.getAll('client_id')).toHaveLength(1)
    expect(par!.form.has('code_verifier')).toBe(false)
    expect(transaction).toMatchObject({ redirectUri: REDIRECT_URI, issuer: ISSUER, organization: 'org_123', maxAge: 600 })
  })

  it('client_secret_basic: the secret goes in the Authorization header', async () => {
    parEndpoint()
    await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, clientAuth: 'client_secret_basic' }, { redirectUri: REDIRECT_URI, par: true })
    const [par] = parRequests()
    // RFC 6749 §2.3.1: id and secret are form-urlencoded, then base64.
    const [id, secret] = atob(par!.headers.get('authorization')!.replace(/^Basic /, '')).split(':').map(decodeURIComponent)
    expect({ id, secret }).toEqual({ id: CLIENT_ID, secret: CLIENT_SECRET })
    expect(par!.form.has('client_secret')).toBe(false)
  })

  it('private_key_jwt: the PAR request carries a client assertion', async () => {
    parEndpoint()
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey }, { redirectUri: REDIRECT_URI, par: true })
    const [par] = parRequests()
    expect(par!.form.get('client_assertion_type')).toBe(JWT_BEARER)
    await expect(jwtVerify(par!.form.get('client_assertion')!, publicKey, { issuer: CLIENT_ID, subject: CLIENT_ID, audience: [ISSUER, PAR_URL] })).resolves.toBeDefined()
    expect(par!.form.has('client_secret')).toBe(false)
  })

  it('a public client sends its client_id only', async () => {
    parEndpoint()
    const { url } = await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID }, { redirectUri: REDIRECT_URI, par: true })
    const [par] = parRequests()
    expect(par!.form.get('client_id')).toBe(CLIENT_ID)
    expect(par!.form.has('client_secret')).toBe(false)
    expect(par!.form.has('client_assertion')).toBe(false)
    expect(url.searchParams.get('request_uri')).toBe(REQUEST_URI)
  })

  it('without par nothing is pushed', async () => {
    const { url } = await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI })
    expect(log).toHaveLength(0)
    expect(url.searchParams.has('request_uri')).toBe(false)
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI)
  })

  it.each<[number, { error: string; error_description?: string }]>([
    [400, { error: 'invalid_request', error_description: 'redirect_uri is not registered' }],
    [401, { error: 'invalid_client', error_description: 'client authentication failed' }],
    [400, { error: 'invalid_scope' }],
  ])('a PAR error (%i %o) is an OAuthError, not retried', async (status, body) => {
    parEndpoint(() => HttpResponse.json(body, { status }))
    const err = await rejection(createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI, par: true }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ status, error: body.error })
    if (body.error_description !== undefined) expect((err as OAuthError).errorDescription).toBe(body.error_description)
    expect(parRequests()).toHaveLength(1)
  })

  it('a PAR error that echoes the client secret does not carry it', async () => {
    parEndpoint(() => HttpResponse.json({ error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` }, { status: 401 }))
    const err = await rejection(createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI, par: true }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(`${String(err)} ${JSON.stringify(err)} ${(err as OAuthError).errorDescription}`).not.toContain(CLIENT_SECRET)
  })

  it.each([
    ['a 200 instead of 201', () => HttpResponse.json({ request_uri: REQUEST_URI, expires_in: 60 }, { status: 200 })],
    ['no request_uri', () => HttpResponse.json({ expires_in: 60 }, { status: 201 })],
    ['a body that is not JSON', () => new HttpResponse('<html>oops</html>', { status: 201, headers: { 'content-type': 'text/html' } })],
  ])('a PAR answer with %s is a ResponseError', async (_what, answer) => {
    parEndpoint(answer)
    const err = await rejection(createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI, par: true }))
    expect(err).toBeInstanceOf(ResponseError)
  })

  it('with an issuer: pushes to the discovered pushed_authorization_request_endpoint; a provider without one is a ConfigError', async () => {
    const issuer = 'https://login.example.org/'
    const meta = {
      issuer,
      authorization_endpoint: `${issuer}oauth2/authorize`,
      token_endpoint: `${issuer}oauth2/token`,
      jwks_uri: `${issuer}oauth2/keys`,
      pushed_authorization_request_endpoint: `${issuer}oauth2/par`,
    }
    server.use(
      http.get(`${issuer}.well-known/openid-configuration`, () => HttpResponse.json(meta)),
      http.post(`${issuer}oauth2/par`, () => HttpResponse.json({ request_uri: REQUEST_URI, expires_in: 90 }, { status: 201 })),
    )
    const { url } = await createAuthorizationRequest({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI, par: true })
    expect(url.href).toBe(`${issuer}oauth2/authorize?client_id=${CLIENT_ID}&request_uri=${encodeURIComponent(REQUEST_URI)}`)

    const { pushed_authorization_request_endpoint: _none, ...withoutPar } = meta
    const other = 'https://login.example.net/'
    server.use(http.get(`${other}.well-known/openid-configuration`, () => HttpResponse.json({ ...withoutPar, issuer: other })))
    const err = await rejection(createAuthorizationRequest({ issuer: other, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI, par: true }))
    expect(err).toBeInstanceOf(ConfigError)
  })
})
