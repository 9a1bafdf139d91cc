// openid-client 6: the certified OpenID Connect relying party on top of oauth4webapi.
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, naiveGetAccessToken, times } from './common.mjs'

export default {
  name: 'openid-client',
  package: 'openid-client',
  importSpecifier: 'openid-client',
  size: {
    authorize: {
      code: `export { Configuration, buildAuthorizationUrl } from 'openid-client'`,
      contains: 'Configuration (needed to call anything) + buildAuthorizationUrl',
    },
    flow: {
      code: `export { Configuration, randomState, randomPKCECodeVerifier, calculatePKCECodeChallenge, buildAuthorizationUrl, authorizationCodeGrant, refreshTokenGrant } from 'openid-client'`,
      contains: 'Configuration, randomState, randomPKCECodeVerifier, calculatePKCECodeChallenge, buildAuthorizationUrl, authorizationCodeGrant (callback checks + exchange), refreshTokenGrant',
    },
    verify: { na: 'no access-token verification API (a relying-party library)' },
  },

  /** A whole login against the local authorization server (metric 7); jose verifies the access token. */
  createLogin(ls) {
    const config = new client.Configuration(ls.metadata, ls.clientId, ls.clientSecret)
    client.allowInsecureRequests(config)
    const jwks = createRemoteJWKSet(new URL(ls.metadata.jwks_uri))
    return async () => {
      const state = client.randomState()
      const codeVerifier = client.randomPKCECodeVerifier()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: ls.redirectUri,
        scope: ls.scope,
        audience: ls.audience,
        state,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      })
      const callback = new URL(await ls.browse(url.href))
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state })
      return (await jwtVerify(tokens.access_token, jwks, { issuer: ls.metadata.issuer, audience: ls.audience, algorithms: ['RS256'] })).payload
    }
  },

  async create(env) {
    const auth0Config = new client.Configuration(
      { issuer: `https://${AUTH0_DOMAIN}/`, authorization_endpoint: `https://${AUTH0_DOMAIN}/authorize` },
      APP.clientId,
      APP.clientSecret,
    )
    const localConfig = new client.Configuration(env.server.metadata, APP.clientId, APP.clientSecret)
    client.allowInsecureRequests(localConfig)
    const refresh = async (refreshToken) => {
      const tokens = await client.refreshTokenGrant(localConfig, refreshToken)
      return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? refreshToken, expiresAt: Date.now() / 1000 + tokens.expires_in }
    }
    return {
      async authorize() {
        const codeVerifier = client.randomPKCECodeVerifier()
        const url = client.buildAuthorizationUrl(auth0Config, {
          redirect_uri: APP.redirectUri,
          scope: APP.scope,
          audience: APP.audience,
          state: client.randomState(),
          code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
        })
        return url.href
      },
      async exchange() {
        const tokens = await client.authorizationCodeGrant(localConfig, new URL(CALLBACK), { pkceCodeVerifier: CODE_VERIFIER, expectedState: STATE })
        return tokens.access_token
      },
      async refreshStorm(n) {
        const store = { tokens: expiredTokens() }
        await Promise.all(times(n, () => naiveGetAccessToken(store, refresh)))
      },
    }
  },
}
