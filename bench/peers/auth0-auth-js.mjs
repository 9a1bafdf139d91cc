// @auth0/auth0-auth-js: Auth0's own client for JavaScript runtimes (openid-client + jose inside).
import { AuthClient } from '@auth0/auth0-auth-js'
import * as raw from '../raw.mjs'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, naiveGetAccessToken, times } from './common.mjs'

export default {
  name: '@auth0/auth0-auth-js',
  package: '@auth0/auth0-auth-js',
  importSpecifier: '@auth0/auth0-auth-js',
  size: {
    authorize: { code: `export { AuthClient } from '@auth0/auth0-auth-js'`, contains: 'AuthClient (one class: buildAuthorizationUrl comes with every other method)' },
    flow: { code: `export { AuthClient } from '@auth0/auth0-auth-js'`, contains: 'AuthClient (buildAuthorizationUrl with PKCE, getTokenByCode, getTokenByRefreshToken, and every other method)' },
    verify: { na: 'no access-token verifier (that is @auth0/auth0-api-js)' },
  },

  async create(env) {
    // Only takes a domain (https://); the rewriting fetch sends it to the local server.
    const auth = new AuthClient({
      domain: AUTH0_DOMAIN,
      clientId: APP.clientId,
      clientSecret: APP.clientSecret,
      customFetch: env.auth0Fetch,
      authorizationParams: { redirect_uri: APP.redirectUri, scope: APP.scope, audience: APP.audience },
    })
    await auth.getServerMetadata() // discovery, once, before anything is timed
    const refresh = async (refreshToken) => {
      const tokens = await auth.getTokenByRefreshToken({ refreshToken })
      return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken ?? refreshToken, expiresAt: tokens.expiresAt }
    }
    return {
      async authorize() {
        // It makes the PKCE pair itself but leaves the state to the app.
        const { authorizationUrl } = await auth.buildAuthorizationUrl({ authorizationParams: { state: raw.randomToken() } })
        return authorizationUrl.href
      },
      async exchange() {
        // getTokenByCode takes no expected state: the app checks it and hands over the code alone.
        const url = new URL(CALLBACK)
        if (url.searchParams.get('state') !== STATE) throw new Error('state mismatch')
        url.searchParams.delete('state')
        const tokens = await auth.getTokenByCode(url, { codeVerifier: CODE_VERIFIER })
        return tokens.accessToken
      },
      async refreshStorm(n) {
        const store = { tokens: expiredTokens() }
        await Promise.all(times(n, () => naiveGetAccessToken(store, refresh)))
      },
    }
  },
}
