// What only some providers do: issuers without a trailing slash, Google's consent-bound refresh
// token, RFC 9207 iss on Keycloak callbacks, typed extra response fields, Auth0's rotation and
// audience-less tokens, and revocation at each provider's own endpoint.
import { describe, expect, it } from 'vitest'
import { CallbackError, type ClientConfig, OAuthError, TokenClient, createAuthorizationRequest, exchangeCode, refreshTokens, validateCallback } from 'authcode'
import { InvalidTokenError, createAccessTokenVerifier } from 'authcode/api'
import { authorizeParams, configFor, rejection, signIn, spellings } from './flow.js'
import { AUTH0_TENANT, COGNITO, ENTRA, GOOGLE, KEYCLOAK, OKTA_CUSTOM, OKTA_ORG } from './profiles/index.js'
import { type StandIn, createStandIn } from './stand-in.js'

describe.each([GOOGLE, OKTA_ORG, AUTH0_TENANT])('$name configured by issuer URL', (profile) => {
  const issuerConfig = (s: StandIn, issuer: string): ClientConfig => ({ issuer, clientId: profile.client.id, clientSecret: profile.client.secret, fetch: s.fetch })

  it.each(spellings(profile.issuer))('keeps the issuer as the discovery document spells it when configured as %s', async (configured) => {
    const s = await createStandIn(profile)
    const { transaction, code } = await signIn(s, issuerConfig(s, configured))
    expect(transaction.issuer).toBe(profile.issuer)

    const client = new TokenClient(issuerConfig(s, configured))
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(client.issuer).toBe(profile.issuer)
    expect(tokens.claims?.iss).toBe(profile.issuer)
  })
})

describe('Google', () => {
  it('sends a refresh token on first consent only; prompt=consent asks for one again', async () => {
    const s = await createStandIn(GOOGLE)
    const config = configFor(s)
    const first = await signIn(s, config)
    expect((await exchangeCode(config, { code: first.code, ...first.transaction })).refreshToken).toBe(s.issued.refreshTokens[0])

    const again = await signIn(s, config)
    const tokens = await exchangeCode(config, { code: again.code, ...again.transaction })
    expect(s.tokenResponses[1]).not.toHaveProperty('refresh_token')
    expect(tokens).not.toHaveProperty('refreshToken')

    const { url, transaction } = await createAuthorizationRequest(config, { ...authorizeParams(GOOGLE), prompt: 'consent' })
    const { code } = validateCallback(s.login(url), transaction)
    expect((await exchangeCode(config, { code, ...transaction })).refreshToken).toBe(s.issued.refreshTokens[1])
  })

  it("reads the profile from Google's userinfo endpoint with the opaque access token", async () => {
    const s = await createStandIn(GOOGLE)
    const client = new TokenClient(configFor(s))
    const { code, transaction } = await signIn(s, configFor(s))
    const tokens = await client.exchangeCode({ code, ...transaction })
    expect(tokens.accessToken).toMatch(/^ya29\./)
    await expect(client.userinfo(tokens.accessToken)).resolves.toMatchObject({ sub: GOOGLE.user.sub, email: 'jane@example.com', hd: 'example.com' })
    expect(s.received.at(-1)?.endpoint).toBe('https://openidconnect.googleapis.com/v1/userinfo')
  })
})

describe('Keycloak callbacks carry iss (RFC 9207)', () => {
  const start = async () => {
    const s = await createStandIn(KEYCLOAK)
    const { url, transaction } = await createAuthorizationRequest(configFor(s), authorizeParams(KEYCLOAK))
    return { callback: new URL(s.login(url)), transaction }
  }

  it('accepts the callback with iss and session_state', async () => {
    const { callback, transaction } = await start()
    expect(callback.searchParams.get('iss')).toBe(KEYCLOAK.issuer)
    expect(validateCallback(callback, transaction).code).toBe(callback.searchParams.get('code'))
  })

  it('refuses the callback without iss, and with another issuer', async () => {
    const { callback, transaction } = await start()
    const without = new URL(callback)
    without.searchParams.delete('iss')
    expect(() => validateCallback(without, transaction)).toThrow(CallbackError)
    const other = new URL(callback)
    other.searchParams.set('iss', 'https://sso.example.com/realms/other')
    expect(() => validateCallback(other, transaction)).toThrow(CallbackError)
  })
})

describe('provider-specific token-response fields, typed', () => {
  it("Keycloak: refresh_expires_in is a number of seconds, 0 for an offline token (offline_access)", async () => {
    const s = await createStandIn(KEYCLOAK)
    const config = configFor(s)
    const online = await signIn(s, config)
    const session: number | undefined = (await exchangeCode(config, { code: online.code, ...online.transaction })).extra?.refresh_expires_in
    expect(session).toBe(1800)

    const { url, transaction } = await createAuthorizationRequest(config, { ...authorizeParams(KEYCLOAK), scope: 'openid profile email offline_access' })
    const { code } = validateCallback(s.login(url), transaction)
    const offline = await exchangeCode(config, { code, ...transaction })
    expect(offline.extra?.refresh_expires_in).toBe(0)
    expect(offline.extra?.session_state).toBe(s.tokenResponses[1]!.session_state)
  })

  it('Entra ID: ext_expires_in is a number of seconds', async () => {
    const s = await createStandIn(ENTRA)
    const config = configFor(s)
    const { code, transaction } = await signIn(s, config)
    const ext: number | undefined = (await exchangeCode(config, { code, ...transaction })).extra?.ext_expires_in
    expect(ext).toBe(3599)
  })
})

describe('Auth0', () => {
  it("refuses a rotated-out refresh token with Auth0's 403 invalid_grant", async () => {
    const s = await createStandIn(AUTH0_TENANT)
    const config = configFor(s)
    const { code, transaction } = await signIn(s, config)
    const { refreshToken } = await exchangeCode(config, { code, ...transaction })
    const rotated = await refreshTokens(config, { refreshToken: refreshToken! })
    expect(rotated.refreshToken).not.toBe(refreshToken)

    const err = await rejection(refreshTokens(config, { refreshToken: refreshToken! }))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_grant', status: 403, errorDescription: 'Unknown or invalid refresh token.' })
  })

  it('gives an encrypted access token to a login without audience, which the API verifier refuses naming "audience"', async () => {
    const s = await createStandIn(AUTH0_TENANT)
    const config = configFor(s)
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: AUTH0_TENANT.client.redirectUri, scope: 'openid profile email' })
    expect(url.searchParams.has('audience')).toBe(false)
    const { code } = validateCallback(s.login(url), transaction)
    const tokens = await exchangeCode(config, { code, ...transaction })
    expect(tokens.accessToken.split('.')).toHaveLength(5)

    const verify = createAccessTokenVerifier({ domain: 'dev-abc123.us.auth0.com', audience: 'https://api.example.com', fetch: s.fetch })
    const err = await rejection(verify(tokens.accessToken))
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect((err as InvalidTokenError).message).toContain('audience')
  })
})

describe.each([AUTH0_TENANT, GOOGLE, OKTA_CUSTOM, KEYCLOAK, COGNITO])('$name revocation', (profile) => {
  it(`revokes the refresh token at ${String(profile.metadata.revocation_endpoint)}, after which it no longer refreshes`, async () => {
    const s = await createStandIn(profile)
    const config = configFor(s)
    const { code, transaction } = await signIn(s, config)
    const { refreshToken } = await exchangeCode(config, { code, ...transaction })

    await new TokenClient(config).revoke(refreshToken!)
    const request = s.received.at(-1)!
    expect(request).toMatchObject({ method: 'POST', endpoint: profile.metadata.revocation_endpoint })
    expect(request.form).toMatchObject({ token: refreshToken, token_type_hint: 'refresh_token', client_id: profile.client.id })
    expect(await rejection(refreshTokens(config, { refreshToken: refreshToken! }))).toMatchObject({ error: 'invalid_grant' })
  })
})
