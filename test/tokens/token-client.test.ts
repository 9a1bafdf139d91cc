// TokenClient.exchangeCode: the code exchange with each client authentication method, and the ID token checks.
import { describe, expect, it } from 'vitest'
import type { JWTPayload } from 'jose'
import { ConfigError, IdTokenError, OAuthError, TokenClient, exchangeCode, type ExchangeCodeParams } from 'authcode'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  HttpResponse,
  ISSUER,
  REDIRECT_URI,
  onToken,
  testTenant,
  useMockServer,
} from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import { requestsTo, onlyRequestTo, formEntries, sorted, expectFormRequest } from '../helpers/requests.js'
import { TOKEN_URL, CODE, VERIFIER, configWith, codeParams, answerWithIdToken } from '../helpers/code-exchange.js'

const log = useMockServer()

describe('exchangeCode with the default client_secret_post', () => {
  it('POSTs the code, redirect_uri, verifier and client credentials as a form to /oauth/token', async () => {
    const tenant = await testTenant()
    onToken(async () => HttpResponse.json(await tenant.tokenResponse({ nonce: 'n-0S6_WzA2Mj' })))

    await new TokenClient(configWith()).exchangeCode(codeParams({ codeVerifier: VERIFIER, nonce: 'n-0S6_WzA2Mj' }))

    const req = onlyRequestTo(log, TOKEN_URL)
    expectFormRequest(req)
    expect(req.url.href).toBe(TOKEN_URL)
    expect(req.headers.get('authorization')).toBeNull()
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: CODE,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      }),
    )
  })

  it('sends no code_verifier when none is given', async () => {
    const tenant = await testTenant()
    onToken(async () => HttpResponse.json(await tenant.tokenResponse()))

    await new TokenClient(configWith()).exchangeCode(codeParams())

    const req = onlyRequestTo(log, TOKEN_URL)
    expect(req.form.has('code_verifier')).toBe(false)
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: CODE,
        redirect_uri: REDIRECT_URI,
      }),
    )
  })

  it('maps the token response to a camelCase TokenSet with the validated ID token claims', async () => {
    const tenant = await testTenant()
    const body = await tenant.tokenResponse({ nonce: 'nonce-123', scope: 'openid profile offline_access', expiresIn: 86400 })
    onToken(() => HttpResponse.json(body))

    const before = now()
    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams({ codeVerifier: VERIFIER, nonce: 'nonce-123' }))
    const after = now()

    expect(tokens.accessToken).toBe(body.access_token)
    expect(tokens.refreshToken).toBe(body.refresh_token)
    expect(tokens.idToken).toBe(body.id_token)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope).toBe('openid profile offline_access')
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 86400)
    expect(tokens.expiresAt).toBeLessThanOrEqual(after + 86400)
    expect(tokens.claims).toMatchObject({ iss: ISSUER, aud: CLIENT_ID, sub: 'auth0|test-user', nonce: 'nonce-123' })
    expect(Object.keys(tokens).sort()).toEqual(['accessToken', 'claims', 'expiresAt', 'idToken', 'refreshToken', 'scope', 'tokenType'])
  })

  it('accepts the minimal Auth0 reply with no expires_in and no scope', async () => {
    const tenant = await testTenant()
    const idToken = await tenant.signIdToken({ name: 'Jane Doe' })
    onToken(() =>
      HttpResponse.json({ access_token: 'eyJz93a...k4laUWw', refresh_token: 'GEbRxBN...edjnXbL', id_token: idToken, token_type: 'Bearer' }),
    )

    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams())

    expect(tokens).toStrictEqual({
      accessToken: 'eyJz93a...k4laUWw',
      refreshToken: 'GEbRxBN...edjnXbL',
      idToken,
      tokenType: 'Bearer',
      claims: expect.objectContaining({ sub: 'auth0|test-user', name: 'Jane Doe', aud: CLIENT_ID }),
    })
    expect('expiresAt' in tokens).toBe(false)
    expect('scope' in tokens).toBe(false)
  })

  it('turns invalid_grant into an OAuthError whose message and JSON hold neither the code nor the secret', async () => {
    onToken(() =>
      HttpResponse.json({ error: 'invalid_grant', error_description: `Invalid authorization code ${CODE}` }, { status: 403 }),
    )

    const err = await rejection(new TokenClient(configWith()).exchangeCode(codeParams({ codeVerifier: VERIFIER })), OAuthError)

    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(403)
    for (const text of [err.message, String(err), JSON.stringify(err)]) {
      expect(text).not.toContain(CODE)
      expect(text).not.toContain(CLIENT_SECRET)
      expect(text).not.toContain(VERIFIER)
    }
    expect(requestsTo(log, TOKEN_URL)).toHaveLength(1)
  })

  it('normalizes a lower-case token_type to "Bearer"', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-lower', token_type: 'bearer' }))
    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams())
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.claims).toBeUndefined()
  })
})

describe('exchangeCode with other client authentication methods', () => {
  it('client_secret_basic sends Basic base64(urlencode(id):urlencode(secret)) and no secret in the body', async () => {
    const clientId = 'my client:id'
    const clientSecret = 'p@ss:w/rd+ x~'
    onToken(() => HttpResponse.json({ access_token: 'at-basic', token_type: 'Bearer', expires_in: 60 }))

    await new TokenClient(configWith({ clientId, clientSecret, clientAuth: 'client_secret_basic' })).exchangeCode(
      codeParams({ codeVerifier: VERIFIER }),
    )

    const req = onlyRequestTo(log, TOKEN_URL)
    expectFormRequest(req)
    // RFC 6749 §2.3.1: both parts form-urlencoded before base64 (space -> "+", ":" -> "%3A", ...).
    expect(req.headers.get('authorization')).toBe(`Basic ${btoa('my+client%3Aid:p%40ss%3Aw%2Frd%2B+x%7E')}`)
    expect(req.form.has('client_secret')).toBe(false)
    expect(req.form.get('grant_type')).toBe('authorization_code')
    expect(req.form.get('code')).toBe(CODE)
    expect(req.form.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(req.form.get('code_verifier')).toBe(VERIFIER)
  })

  it('a wrong Basic secret answered with a bare Basic challenge keeps the JSON body\'s error and description', async () => {
    onToken(() =>
      HttpResponse.json(
        { error: 'invalid_client', error_description: 'Unknown client or wrong client secret' },
        { status: 401, headers: { 'www-authenticate': 'Basic realm="tenant"' } },
      ),
    )
    const err = await new TokenClient(configWith({ clientAuth: 'client_secret_basic' }))
      .exchangeCode(codeParams({ codeVerifier: VERIFIER }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthError)
    expect((err as OAuthError).status).toBe(401)
    expect((err as OAuthError).error).toBe('invalid_client')
    expect((err as OAuthError).errorDescription).toBe('Unknown client or wrong client secret')
  })

  it('a public client (none) sends client_id and the verifier, and no secret in body or header', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-public', token_type: 'Bearer' }))

    await new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'none' }).exchangeCode(codeParams({ codeVerifier: VERIFIER }))

    const req = onlyRequestTo(log, TOKEN_URL)
    expectFormRequest(req)
    expect(req.headers.get('authorization')).toBeNull()
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        code: CODE,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      }),
    )
  })

  it('a client without a secret is public by default', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-public', token_type: 'Bearer' }))
    await new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID }).exchangeCode(codeParams({ codeVerifier: VERIFIER }))
    const req = onlyRequestTo(log, TOKEN_URL)
    expect(req.form.get('client_id')).toBe(CLIENT_ID)
    expect(req.form.has('client_secret')).toBe(false)
  })

  it('a public client without a code verifier fails with ConfigError before sending anything', async () => {
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'none' })
    const err = await rejection(client.exchangeCode(codeParams()), ConfigError)
    expect(err.field).toBe('codeVerifier')
    expect(log).toHaveLength(0)
  })
})

describe('exchangeCode checks the ID token claims', () => {
  const otherApi = 'https://api.example.com/'
  const rejected: Array<{ name: string; claims: () => JWTPayload; params: Partial<ExchangeCodeParams> }> = [
    { name: 'a nonce other than the one sent', claims: () => ({ nonce: 'someone-elses-nonce' }), params: { nonce: 'expected-nonce' } },
    { name: 'no nonce when one was sent', claims: () => ({}), params: { nonce: 'expected-nonce' } },
    { name: 'another issuer', claims: () => ({ iss: 'https://evil.example.com/' }), params: {} },
    { name: 'another audience', claims: () => ({ aud: 'another-client-id' }), params: {} },
    { name: 'an exp in the past', claims: () => ({ iat: now() - 7200, exp: now() - 3600 }), params: {} },
    { name: 'an extra audience and no azp', claims: () => ({ aud: [CLIENT_ID, otherApi] }), params: {} },
    { name: 'an extra audience and azp of another client', claims: () => ({ aud: [CLIENT_ID, otherApi], azp: 'another-client-id' }), params: {} },
    { name: 'an auth_time older than max_age', claims: () => ({ auth_time: now() - 3600 }), params: { maxAge: 300 } },
    { name: 'no auth_time when max_age was sent', claims: () => ({}), params: { maxAge: 300 } },
    { name: 'another org_id than the organization ID asked for', claims: () => ({ org_id: 'org_xyz' }), params: { organization: 'org_abc' } },
    { name: 'no org_id when an organization ID was asked for', claims: () => ({}), params: { organization: 'org_abc' } },
    { name: 'another org_name than the organization name asked for', claims: () => ({ org_name: 'globex' }), params: { organization: 'Acme' } },
    { name: 'no org_name when an organization name was asked for', claims: () => ({ org_id: 'org_abc' }), params: { organization: 'Acme' } },
  ]

  it.each(rejected)('rejects an ID token with $name (IdTokenError)', async ({ claims, params }) => {
    await answerWithIdToken(claims())
    const err = await rejection(new TokenClient(configWith()).exchangeCode(codeParams(params)), IdTokenError)
    expect(err.code).toBe('ERR_ID_TOKEN')
    expect(requestsTo(log, TOKEN_URL)).toHaveLength(1)
  })

  it.each([
    { asked: 'a nonce', params: { nonce: 'expected-nonce' } },
    { asked: 'an organization', params: { organization: 'org_abc' } },
  ])('rejects a reply without any ID token when $asked was sent (IdTokenError)', async ({ params }) => {
    onToken(() => HttpResponse.json({ access_token: 'at', token_type: 'Bearer' }))
    await rejection(new TokenClient(configWith()).exchangeCode(codeParams(params)), IdTokenError)
  })

  const accepted: Array<{ name: string; claims: () => JWTPayload; params: Partial<ExchangeCodeParams> }> = [
    { name: 'the nonce that was sent', claims: () => ({ nonce: 'expected-nonce' }), params: { nonce: 'expected-nonce' } },
    { name: 'an extra audience and azp of this client', claims: () => ({ aud: [CLIENT_ID, otherApi], azp: CLIENT_ID }), params: {} },
    { name: 'an auth_time within max_age', claims: () => ({ auth_time: now() - 60 }), params: { maxAge: 300 } },
    { name: 'the org_id asked for', claims: () => ({ org_id: 'org_abc' }), params: { organization: 'org_abc' } },
    { name: 'the lower-cased org_name of the organization name asked for', claims: () => ({ org_name: 'acme' }), params: { organization: 'Acme' } },
  ]

  it.each(accepted)('accepts an ID token with $name', async ({ claims, params }) => {
    const expected = claims()
    await answerWithIdToken(expected)
    const tokens = await new TokenClient(configWith()).exchangeCode(codeParams(params))
    expect(tokens.claims).toMatchObject(expected)
  })
})
