// The stand-in tenant's authorize(): error redirects, the error page, and the claims a test sets on its tokens.
import { describe, expect, it } from 'vitest'
import { AuthorizationError, IdTokenError, createAuthorizationRequest, exchangeCode, validateCallback } from 'authcode'
import { createAccessTokenVerifier } from 'authcode/api'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { rejection } from '../helpers/outcome.js'
import { DOMAIN, API, REDIRECT_URI, config, client, useHandlersTenant, loginSteps } from '../helpers/handlers-tenant.js'

const { tenant, auth0, server } = await useHandlersTenant()

let currentHandlers: ReturnType<typeof createAuth0Handlers> | undefined
const { loginUpToCallback, login } = loginSteps(auth0, () => currentHandlers)

describe('authorize()', () => {
  it('sends the user back with error=… when asked (AuthorizationError)', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const callback = await auth0.authorize(url, { error: 'access_denied', errorDescription: 'User did not consent' })
    expect(callback.searchParams.get('code')).toBeNull()
    const err = (() => {
      try {
        return validateCallback(callback, transaction)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(AuthorizationError)
    expect(err).toMatchObject({ error: 'access_denied', errorDescription: 'User did not consent' })
  })

  it('throws, as Auth0 shows an error page, for another tenant, an unknown client or a disallowed callback', async () => {
    const { url } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    await expect(auth0.authorize(url.href.replace(DOMAIN, 'other.auth0.example'))).rejects.toThrow(/not this tenant/)
    const other = new URL(url)
    other.searchParams.set('client_id', 'someone-else')
    await expect(auth0.authorize(other)).rejects.toThrow(/unknown client_id/)
    const strict = createAuth0Handlers(tenant, { callbackUrls: ['https://app.example.com/only-this'] })
    await expect(strict.authorize(url)).rejects.toThrow(/Callback URL mismatch/)
  })

  it('lets a test set ID token claims, which the SDK then checks (a wrong nonce -> IdTokenError)', async () => {
    const { code, transaction } = await loginUpToCallback({ login: { idTokenClaims: { nonce: 'not-the-nonce' } } })
    expect(await rejection(client.exchangeCode({ code, ...transaction }))).toBeInstanceOf(IdTokenError)
  })

  it('puts accessTokenClaims (e.g. RBAC permissions) on the access tokens of the login, refreshes included', async () => {
    const { tokens } = await login({ login: { accessTokenClaims: { permissions: ['read:contacts'] } } })
    const verify = createAccessTokenVerifier({ domain: DOMAIN, audience: API })
    expect((await verify(tokens.accessToken)).permissions).toEqual(['read:contacts'])
    const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
    expect((await verify(fresh.accessToken)).permissions).toEqual(['read:contacts'])
  })
})
