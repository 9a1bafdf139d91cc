// What the provider's error answers and failed fetches become: typed errors with the server's words, a hint, and no secret.
import { inspect } from 'node:util'
import { delay } from 'msw'
import { describe, expect, it } from 'vitest'
import { AbortError, ConfigError, NetworkError, OAuthError, TimeoutError, TokenClient } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, HttpResponse, http, onToken, server, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import {
  USERINFO_URL,
  CODE,
  VERIFIER,
  ACCESS_TOKEN,
  REFRESH_TOKEN,
  exchangeParams,
  client,
  expectError,
  stalledResponse,
  oauthJson,
} from '../helpers/token-client.js'

const log = useMockServer()

describe('OAuth error answers from the token endpoint', () => {
  it('turns 400 invalid_grant into an OAuthError with the description and a hint that the code was used or expired', async () => {
    onToken(() => oauthJson(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' }))
    const err = expectError(await rejection(client({ retries: 2 }).exchangeCode(exchangeParams)), OAuthError)
    expect(err.error).toBe('invalid_grant')
    expect(err.errorDescription).toBe('Invalid authorization code')
    expect(err.status).toBe(400)
    expect(err.code).toBe('ERR_OAUTH')
    expect(err.name).toBe('OAuthError')
    expect(err.message).toContain('Invalid authorization code')
    expect(err.message).toMatch(/expired or was already used/)
    expect(err.retryAfter).toBeUndefined()
  })

  it('never sends a code twice: a refused code exchange is not retried', async () => {
    onToken(() => oauthJson(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' }))
    await rejection(client({ retries: 2, maxRetryDelayMs: 0 }).exchangeCode(exchangeParams))
    expect(log).toHaveLength(1)
  })

  it('explains 401 invalid_client by pointing at the client secret and the token endpoint auth method, without the secret', async () => {
    onToken(() => oauthJson(401, { error: 'invalid_client' }))
    const err = expectError(await rejection(client().exchangeCode(exchangeParams)), OAuthError)
    expect(err.error).toBe('invalid_client')
    expect(err.status).toBe(401)
    expect(err.errorDescription).toBeUndefined()
    expect(err.message).toMatch(/client secret/i)
    expect(err.message).toMatch(/token endpoint auth/i)
    expect(err.message).toContain('clientAuth')
    expect(err.message).not.toContain(CLIENT_SECRET)
  })

  it('explains 403 unauthorized_client by saying which grant type to enable', async () => {
    onToken(() => oauthJson(403, { error: 'unauthorized_client', error_description: 'Grant type not allowed' }))
    const err = expectError(await rejection(client().exchangeCode(exchangeParams)), OAuthError)
    expect(err.error).toBe('unauthorized_client')
    expect(err.status).toBe(403)
    expect(err.message).toContain('Grant type not allowed')
    expect(err.message).toMatch(/Enable this grant type/)
    expect(err.message).toMatch(/Grant Types/)
  })

  it('tells a refresh refused with invalid_grant that the user must log in again', async () => {
    onToken(() => oauthJson(403, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }))
    const err = expectError(await rejection(client().refresh({ refreshToken: REFRESH_TOKEN })), OAuthError)
    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(403)
    expect(err.message).toMatch(/log in again/)
  })

  it('reads a 401 WWW-Authenticate challenge from userinfo as an OAuthError', async () => {
    server.use(
      http.get(USERINFO_URL, () =>
        new HttpResponse(null, {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' },
        }),
      ),
    )
    const err = expectError(await rejection(client().userinfo(ACCESS_TOKEN)), OAuthError)
    expect(err.error).toBe('invalid_token')
    expect(err.errorDescription).toBe('The access token expired')
    expect(err.status).toBe(401)
  })
})

// The request path's traps: what a failed fetch carries, a secret in another encoding, a shared
// discovery, the largest timer, a fetch that ignores the abort.
describe('regressions', () => {
  // A fetch error may quote the request, whose body holds the secret, the code and the verifier:
  // the NetworkError keeps only a bare, redacted copy of it as cause.
  it('a NetworkError quotes nothing the failed fetch attached: not the request body, not the secret', async () => {
    const leakyFetch: typeof fetch = async (input, init) => {
      throw Object.assign(new TypeError(`fetch failed: ${String(init?.body)}`), { request: { url: String(input), body: String(init?.body) } })
    }
    const err = expectError(await rejection(client({ fetch: leakyFetch }).exchangeCode(exchangeParams)), NetworkError)
    const rendered = `${err.message}\n${inspect(err, { depth: 10 })}`
    for (const value of [CLIENT_SECRET, CODE, VERIFIER]) expect(rendered).not.toContain(value)
  })

  // A server that quotes the request body quotes the secret form-encoded, which differs from the
  // raw secret when it has "~", "+", "/", "=", "&" or "%" (Entra ID secrets contain "~").
  it('a client secret echoed in its form-encoded form is redacted too', async () => {
    const secret = 'Xy8Q~aBcD3fGhIjK.lMnOpQrStUvWxYz0123_45'
    const encoded = new URLSearchParams({ s: secret }).toString().slice(2)
    expect(encoded).not.toBe(secret)
    onToken(async ({ request }) => oauthJson(400, { error: 'invalid_request', error_description: `bad body ${await request.text()}` }))
    const err = expectError(await rejection(client({ clientSecret: secret }).exchangeCode(exchangeParams)), OAuthError)
    expect(err.message).not.toContain(encoded)
    expect(err.message).not.toContain(secret)
  })

  // Concurrent calls share one discovery: the signal of the caller that started it must not end
  // it for the others.
  it("one caller's abort during discovery does not abort another caller's exchange", async () => {
    const issuer = 'https://login.example.com/'
    server.use(
      http.get(`${issuer}.well-known/openid-configuration`, async () => {
        await delay(50)
        return HttpResponse.json({ issuer, authorization_endpoint: `${issuer}authorize`, token_endpoint: `${issuer}oauth/token` })
      }),
      http.post(`${issuer}oauth/token`, () => HttpResponse.json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' })),
    )
    const shared = new TokenClient({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    const controller = new AbortController()
    const first = rejection(shared.exchangeCode({ ...exchangeParams, signal: controller.signal }))
    const second = shared.exchangeCode(exchangeParams)
    controller.abort()
    expectError(await first, AbortError)
    await expect(second).resolves.toMatchObject({ accessToken: ACCESS_TOKEN })
  })

  // setTimeout turns anything above 2^31-1 ms into 1 ms, which would time out every request.
  it('a timeoutMs above 2^31-1 ms is either refused or honoured, never an instant timeout', async () => {
    onToken(async () => {
      await delay(20)
      return HttpResponse.json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' })
    })
    let patient: TokenClient
    try {
      patient = client({ timeoutMs: 3_000_000_000 })
    } catch (err) {
      expect(expectError(err, ConfigError).field).toBe('timeoutMs')
      return
    }
    await expect(patient.exchangeCode(exchangeParams)).resolves.toMatchObject({ accessToken: ACCESS_TOKEN })
  })

  // A fetch that does not error the body stream on abort (msw, which authcode's own testing story
  // relies on) must not let a stalled body hang forever.
  it('times out a stalled body even when the injected fetch ignores the abort once headers are in', async () => {
    onToken(() => stalledResponse(200, '{"access_token":'))
    expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
  })
})
