// TokenClient's other calls: refresh, client credentials, revocation and userinfo, and the retry rules at the token endpoint.
import { describe, expect, it } from 'vitest'
import { ConfigError, IdTokenError, NetworkError, OAuthError, ResponseError, TokenClient, exchangeCode } from 'authcode'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  HttpResponse,
  ISSUER,
  http,
  onToken,
  server,
  testTenant,
  useMockServer,
} from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { now } from '../helpers/signers.js'
import { requestsTo, onlyRequestTo, formEntries, sorted, expectFormRequest } from '../helpers/requests.js'
import { TOKEN_URL, CODE, VERIFIER, configWith, codeParams, answerWithIdToken } from '../helpers/code-exchange.js'

const log = useMockServer()

describe('refresh', () => {
  it('POSTs grant_type=refresh_token with client credentials and the refresh token', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer', expires_in: 86400 }))

    await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })

    const req = onlyRequestTo(log, TOKEN_URL)
    expectFormRequest(req)
    expect(req.headers.get('authorization')).toBeNull()
    expect(formEntries(req.form)).toEqual(
      sorted({ grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: 'rt-old' }),
    )
  })

  it.each([
    { given: 'a string', scope: 'openid  read:contacts' },
    { given: 'an array', scope: ['openid', 'read:contacts'] },
  ])('sends a narrower scope given as $given space-separated', async ({ scope }) => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer' }))
    await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old', scope })
    expect(onlyRequestTo(log, TOKEN_URL).form.getAll('scope')).toEqual(['openid read:contacts'])
  })

  it('keeps the refresh token that was used when the reply has none (no rotation)', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer', expires_in: 86400 }))
    const tokens = await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })
    expect(tokens.accessToken).toBe('at-2')
    expect(tokens.refreshToken).toBe('rt-old')
  })

  it('returns the rotated refresh token when the reply has a new one', async () => {
    onToken(() => HttpResponse.json({ access_token: 'at-2', token_type: 'Bearer', refresh_token: 'rt-new' }))
    const tokens = await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })
    expect(tokens.refreshToken).toBe('rt-new')
  })

  it("accepts Auth0's refresh reply (access_token, expires_in, scope, id_token, token_type)", async () => {
    const tenant = await testTenant()
    const idToken = await tenant.signIdToken()
    onToken(() =>
      HttpResponse.json({ access_token: 'eyJ...MoQ', expires_in: 86400, scope: 'openid offline_access', id_token: idToken, token_type: 'Bearer' }),
    )

    const before = now()
    const tokens = await new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' })
    const after = now()

    expect(tokens).toMatchObject({
      accessToken: 'eyJ...MoQ',
      tokenType: 'Bearer',
      scope: 'openid offline_access',
      idToken,
      refreshToken: 'rt-old',
      claims: { iss: ISSUER, aud: CLIENT_ID, sub: 'auth0|test-user' },
    })
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 86400)
    expect(tokens.expiresAt).toBeLessThanOrEqual(after + 86400)
  })

  it('rejects a refreshed ID token for another audience (IdTokenError)', async () => {
    await answerWithIdToken({ aud: 'another-client-id' })
    await rejection(new TokenClient(configWith()).refresh({ refreshToken: 'rt-old' }), IdTokenError)
  })

  it('turns invalid_grant into an OAuthError carrying error and status', async () => {
    onToken(() => HttpResponse.json({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }, { status: 403 }))
    const err = await rejection(new TokenClient(configWith()).refresh({ refreshToken: 'rt-dead' }), OAuthError)
    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(403)
    expect(err.message).not.toContain('rt-dead')
  })
})

describe('clientCredentials', () => {
  it('sends grant_type=client_credentials with the config audience', async () => {
    onToken(() => HttpResponse.json({ access_token: 'm2m-at', token_type: 'Bearer', expires_in: 86400, scope: 'read:contacts' }))

    const tokens = await new TokenClient(configWith({ audience: 'https://api.example.com' })).clientCredentials()

    const req = onlyRequestTo(log, TOKEN_URL)
    expectFormRequest(req)
    expect(formEntries(req.form)).toEqual(
      sorted({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, audience: 'https://api.example.com' }),
    )
    expect(tokens).toMatchObject({ accessToken: 'm2m-at', tokenType: 'Bearer', scope: 'read:contacts' })
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.claims).toBeUndefined()
  })

  it('prefers the audience parameter and sends the scope space-separated', async () => {
    onToken(() => HttpResponse.json({ access_token: 'm2m-at', token_type: 'Bearer' }))

    await new TokenClient(configWith({ audience: 'https://api.example.com' })).clientCredentials({
      audience: 'https://billing.example.com',
      scope: ['read:invoices', 'write:invoices'],
    })

    const req = onlyRequestTo(log, TOKEN_URL)
    expect(formEntries(req.form)).toEqual(
      sorted({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        audience: 'https://billing.example.com',
        scope: 'read:invoices write:invoices',
      }),
    )
  })

  it('refuses a public client with ConfigError and sends nothing', async () => {
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'none' })
    const err = await rejection(client.clientCredentials({ audience: 'https://api.example.com' }), ConfigError)
    expect(err.field).toBe('clientAuth')
    expect(log).toHaveLength(0)
  })
})

describe('revoke and userinfo', () => {
  it('revoke POSTs the token with token_type_hint=refresh_token and client auth; an empty 200 resolves', async () => {
    server.use(http.post(`https://${DOMAIN}/oauth/revoke`, () => new HttpResponse(null, { status: 200 })))

    await expect(new TokenClient(configWith()).revoke('rt-to-revoke')).resolves.toBeUndefined()

    const req = onlyRequestTo(log, `https://${DOMAIN}/oauth/revoke`)
    expectFormRequest(req)
    expect(formEntries(req.form)).toEqual(
      sorted({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: 'rt-to-revoke', token_type_hint: 'refresh_token' }),
    )
  })

  it('revoke with client_secret_basic authenticates in the header', async () => {
    server.use(http.post(`https://${DOMAIN}/oauth/revoke`, () => new HttpResponse(null, { status: 200 })))
    await new TokenClient(configWith({ clientAuth: 'client_secret_basic' })).revoke('rt-to-revoke')
    const req = onlyRequestTo(log, `https://${DOMAIN}/oauth/revoke`)
    expect(req.headers.get('authorization')).toBe(`Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET.replaceAll('-', '%2D')}`)}`)
    expect(req.form.has('client_secret')).toBe(false)
    expect(req.form.get('token')).toBe('rt-to-revoke')
  })

  it('userinfo GETs /userinfo with the Bearer token and returns the profile JSON', async () => {
    const profile = { sub: 'auth0|test-user', name: 'Jane Doe', email: 'jane@example.com', email_verified: true }
    server.use(http.get(`https://${DOMAIN}/userinfo`, () => HttpResponse.json(profile)))

    const info = await new TokenClient(configWith()).userinfo('at-for-userinfo')

    const req = onlyRequestTo(log, `https://${DOMAIN}/userinfo`)
    expect(req.method).toBe('GET')
    expect(req.headers.get('authorization')).toBe('Bearer at-for-userinfo')
    expect(info).toEqual(profile)
  })
})

describe('retry rules at the token endpoint', () => {
  const fast = { retries: 2, maxRetryDelayMs: 50 } as const

  it('retries a 503 with Retry-After: 0 and succeeds on the second request', async () => {
    const tenant = await testTenant()
    let calls = 0
    onToken(async () => {
      calls++
      if (calls === 1) return new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '0' } })
      return HttpResponse.json(await tenant.tokenResponse())
    })

    const tokens = await new TokenClient(configWith(fast)).exchangeCode(codeParams({ codeVerifier: VERIFIER }))

    expect(tokens.tokenType).toBe('Bearer')
    const requests = requestsTo(log, TOKEN_URL)
    expect(requests).toHaveLength(2)
    // The retry is the same request.
    expect(formEntries(requests[1]!.form)).toEqual(formEntries(requests[0]!.form))
  })

  it('gives up after retries + 1 requests on repeated 429 and reports status 429', async () => {
    onToken(() =>
      HttpResponse.json(
        { error: 'too_many_requests', error_description: 'Global limit has been reached' },
        { status: 429, headers: { 'retry-after': '0' } },
      ),
    )

    const err = await rejection(new TokenClient(configWith(fast)).refresh({ refreshToken: 'rt-429' }), OAuthError)

    expect(err.status).toBe(429)
    expect(err.error).toBe('too_many_requests')
    expect(err.retryAfter).toBe(0)
    expect(requestsTo(log, TOKEN_URL)).toHaveLength(3)
  })

  it('does not retry a 500, even one with Retry-After: 0', async () => {
    onToken(() => new HttpResponse('Internal Server Error', { status: 500, headers: { 'retry-after': '0' } }))

    const err = await rejection(new TokenClient(configWith(fast)).exchangeCode(codeParams()), ResponseError)

    expect(err.status).toBe(500)
    expect(requestsTo(log, TOKEN_URL)).toHaveLength(1)
  })

  it('does not retry a code exchange whose connection dropped after sending, and throws NetworkError', async () => {
    onToken(() => HttpResponse.error())

    const err = await rejection(new TokenClient(configWith(fast)).exchangeCode(codeParams({ codeVerifier: VERIFIER })), NetworkError)

    expect(err.code).toBe('ERR_NETWORK')
    expect(err.message).not.toContain(CODE)
    expect(requestsTo(log, TOKEN_URL)).toHaveLength(1)
  })

  it('does retry an idempotent userinfo GET whose connection dropped', async () => {
    let calls = 0
    server.use(
      http.get(`https://${DOMAIN}/userinfo`, () => {
        calls++
        return calls === 1 ? HttpResponse.error() : HttpResponse.json({ sub: 'auth0|test-user' })
      }),
    )
    const info = await new TokenClient(configWith(fast)).userinfo('at-x')
    expect(info).toEqual({ sub: 'auth0|test-user' })
    expect(requestsTo(log, `https://${DOMAIN}/userinfo`)).toHaveLength(2)
  })
})
