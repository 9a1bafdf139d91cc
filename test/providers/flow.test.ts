// The whole client flow against each provider's stand-in: authorize URL, callback, code
// exchange (function and TokenClient), extra response fields, refresh and a dead refresh token.
import { beforeEach, describe, expect, it } from 'vitest'
import { OAuthError, TokenClient, createAuthorizationRequest, exchangeCode, refreshTokens, validateCallback } from 'authcode'
import { authorizeParams, configFor, rejection, signIn } from './flow.js'
import { s256 } from './profile.js'
import { PROFILES } from './profiles/index.js'
import { type StandIn, basicCredentials, createStandIn } from './stand-in.js'

const now = () => Math.floor(Date.now() / 1000)

/** The provider-specific fields of a token response; undefined when it has none. */
function extraOf(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> | undefined {
  return fields.length === 0 ? undefined : Object.fromEntries(fields.map((f) => [f, body[f]]))
}

describe.each(PROFILES)('$name', (profile) => {
  let s: StandIn
  beforeEach(async () => {
    s = await createStandIn(profile)
  })

  it("sends the user to the provider's own authorization endpoint with PKCE S256, state and nonce", async () => {
    const { url, transaction } = await createAuthorizationRequest(configFor(s), authorizeParams(profile))
    expect(url.origin + url.pathname).toBe(profile.metadata.authorization_endpoint)
    const q = url.searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe(profile.client.id)
    expect(q.get('redirect_uri')).toBe(profile.client.redirectUri)
    expect(q.get('scope')).toBe(profile.login.scope)
    expect(q.get('state')).toBe(transaction.state)
    expect(q.get('nonce')).toBe(transaction.nonce)
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toBe(await s256(transaction.codeVerifier))
    for (const [name, value] of Object.entries({ ...profile.login.extraParams, ...(profile.login.audience !== undefined && { audience: profile.login.audience }) })) {
      expect(q.get(name)).toBe(value)
    }
  })

  it('accepts the callback the provider sends, and records the issuer exactly as the provider spells it', async () => {
    const { transaction, callback, code } = await signIn(s, configFor(s))
    expect(transaction.issuer).toBe(profile.issuer)
    expect(code).toBe(new URL(callback).searchParams.get('code'))
    // Providers that advertise RFC 9207 always send iss, so its absence would be an attack.
    expect(transaction.requireIssuer === true).toBe(profile.metadata.authorization_response_iss_parameter_supported === true)
  })

  it('exchanges the code with exchangeCode: the provider receives the code, redirect_uri, PKCE verifier and client secret', async () => {
    const config = configFor(s)
    const { transaction, code } = await signIn(s, config)
    const before = now()
    const tokens = await exchangeCode(config, { code, ...transaction })

    const [request] = s.tokenRequests()
    expect(s.tokenRequests()).toHaveLength(1)
    expect(request!.form).toMatchObject({
      grant_type: 'authorization_code',
      code,
      redirect_uri: profile.client.redirectUri,
      code_verifier: transaction.codeVerifier,
      client_id: profile.client.id,
      client_secret: profile.client.secret,
    })
    const body = s.tokenResponses[0]!
    expect(tokens.accessToken).toBe(body.access_token)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.idToken).toBe(body.id_token)
    expect(tokens.refreshToken).toBe(body.refresh_token)
    expect(tokens.scope).toBe(body.scope)
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + (body.expires_in as number))
    expect(tokens.expiresAt).toBeLessThanOrEqual(now() + (body.expires_in as number))
    expect(tokens.claims).toMatchObject({ iss: profile.issuer, sub: profile.user.sub, nonce: transaction.nonce })
  })

  it('exchanges the code with TokenClient over client_secret_basic, and reports the issuer as discovery spells it', async () => {
    const { transaction, code } = await signIn(s, configFor(s))
    // A config of its own: the client discovers (or, for a domain, knows) the issuer itself.
    const client = new TokenClient(configFor(s, { clientAuth: 'client_secret_basic' }))
    const tokens = await client.exchangeCode({ code, ...transaction })

    const request = s.tokenRequests()[0]!
    expect(basicCredentials(request.headers.get('authorization'))).toEqual({ id: profile.client.id, secret: profile.client.secret })
    expect(request.form).not.toHaveProperty('client_secret')
    expect(request.form).toMatchObject({ grant_type: 'authorization_code', code, code_verifier: transaction.codeVerifier })
    expect(tokens.accessToken).toBe(s.tokenResponses[0]!.access_token)
    expect(client.issuer).toBe(profile.issuer)
  })

  it("keeps the provider's own token-response fields in tokens.extra, as the provider named them", async () => {
    const config = configFor(s)
    const { transaction, code } = await signIn(s, config)
    const tokens = await exchangeCode(config, { code, ...transaction })
    const body = s.tokenResponses[0]!
    expect(tokens.extra).toEqual(extraOf(body, profile.extraFields))
    for (const field of profile.extraFields) expect(tokens.extra?.[field]).toBe(body[field])
  })

  it(`refreshes with refreshTokens and TokenClient#refresh (${profile.rotation === 'none' ? 'no rotation: the used refresh token is kept' : 'the provider rotates the refresh token'})`, async () => {
    const config = configFor(s)
    const { transaction, code } = await signIn(s, config)
    const first = await exchangeCode(config, { code, ...transaction })
    expect(first.refreshToken).toEqual(expect.any(String))

    const second = await refreshTokens(config, { refreshToken: first.refreshToken! })
    const request = s.tokenRequests()[1]!
    expect(request.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: profile.client.id, client_secret: profile.client.secret })
    const body = s.tokenResponses[1]!
    expect(second.accessToken).toBe(body.access_token)
    expect(second.idToken).toBe(body.id_token)
    expect(second.extra).toEqual(extraOf(body, profile.extraFields))
    if (profile.rotation === 'none') {
      expect(body).not.toHaveProperty('refresh_token')
      expect(second.refreshToken).toBe(first.refreshToken)
    } else {
      expect(second.refreshToken).toBe(body.refresh_token)
      expect(second.refreshToken).not.toBe(first.refreshToken)
    }

    const third = await new TokenClient(config).refresh({ refreshToken: second.refreshToken! })
    expect(s.tokenRequests()[2]!.form?.refresh_token).toBe(second.refreshToken)
    expect(third.accessToken).toBe(s.tokenResponses[2]!.access_token)
  })

  it("reports a revoked refresh token as OAuthError invalid_grant with the provider's own description", async () => {
    const config = configFor(s)
    const { transaction, code } = await signIn(s, config)
    const { refreshToken } = await exchangeCode(config, { code, ...transaction })
    s.kill(refreshToken!)

    const err = await rejection(refreshTokens(config, { refreshToken: refreshToken! }))
    expect(err).toBeInstanceOf(OAuthError)
    const { status, body } = profile.deadRefreshToken
    expect(err).toMatchObject({ error: 'invalid_grant', status, errorDescription: body.error_description })
    expect((err as OAuthError).message).not.toContain(refreshToken!)
  })

  it('refuses a callback whose state is not this login', async () => {
    const config = configFor(s)
    const { url, transaction } = await createAuthorizationRequest(config, authorizeParams(profile))
    const other = await createAuthorizationRequest(config, authorizeParams(profile))
    expect(() => validateCallback(s.login(other.url), transaction)).toThrow(expect.objectContaining({ code: 'ERR_STATE_MISMATCH' }))
    expect(validateCallback(s.login(url), transaction).code).toEqual(expect.any(String))
  })
})
