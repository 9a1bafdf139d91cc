// auth0 v4 (node-auth0): its AuthenticationClient. No authorize URL builder, no PKCE helpers.
import { AuthenticationClient } from 'auth0'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, naiveGetAccessToken, times } from './common.mjs'

export default {
  name: 'auth0 (AuthenticationClient)',
  package: 'auth0',
  importSpecifier: 'auth0',
  size: {
    authorize: { na: 'no authorize URL builder' },
    flow: {
      code: `export { AuthenticationClient } from 'auth0'`,
      contains: 'AuthenticationClient (oauth.authorizationCodeGrantWithPKCE, oauth.refreshTokenGrant, and the database/passwordless/backchannel APIs it carries); no authorize URL, no PKCE generation',
    },
    verify: { na: 'no access-token verifier' },
  },

  async create(env) {
    const auth = new AuthenticationClient({ domain: AUTH0_DOMAIN, clientId: APP.clientId, clientSecret: APP.clientSecret, fetch: env.auth0Fetch })
    const refresh = async (refreshToken) => {
      const { data } = await auth.oauth.refreshTokenGrant({ refresh_token: refreshToken })
      return { accessToken: data.access_token, refreshToken: data.refresh_token ?? refreshToken, expiresAt: Date.now() / 1000 + data.expires_in }
    }
    return {
      async exchange() {
        const q = new URL(CALLBACK).searchParams
        if (q.get('state') !== STATE) throw new Error('state mismatch')
        const { data } = await auth.oauth.authorizationCodeGrantWithPKCE({ code: q.get('code'), code_verifier: CODE_VERIFIER, redirect_uri: APP.redirectUri })
        return data.access_token
      },
      async refreshStorm(n) {
        const store = { tokens: expiredTokens() }
        await Promise.all(times(n, () => naiveGetAccessToken(store, refresh)))
      },
    }
  },
}
