// arctic 3: the small OAuth 2.0 client (generic OAuth2Client; its Auth0 provider hard-codes https://).
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { CodeChallengeMethod, OAuth2Client, generateCodeVerifier, generateState } from 'arctic'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, naiveGetAccessToken, times } from './common.mjs'

export default {
  name: 'arctic',
  package: 'arctic',
  importSpecifier: 'arctic',
  size: {
    authorize: {
      code: `export { OAuth2Client } from 'arctic'`,
      contains: 'OAuth2Client (createAuthorizationURL is a method: the whole class comes along, with its JS SHA-256 and token requests)',
    },
    flow: {
      code: `export { OAuth2Client, CodeChallengeMethod, generateState, generateCodeVerifier } from 'arctic'`,
      contains: 'OAuth2Client (authorization URL with PKCE, validateAuthorizationCode, refreshAccessToken), CodeChallengeMethod, generateState, generateCodeVerifier; the callback state check is app code',
    },
    verify: { na: 'no token verification (decodeIdToken only decodes)' },
  },

  /** A whole login against the local authorization server (metric 7); jose verifies the access token. */
  createLogin(ls) {
    const oauthClient = new OAuth2Client(ls.clientId, ls.clientSecret, ls.redirectUri)
    const jwks = createRemoteJWKSet(new URL(ls.metadata.jwks_uri))
    return async () => {
      const state = generateState()
      const codeVerifier = generateCodeVerifier()
      const url = oauthClient.createAuthorizationURLWithPKCE(ls.metadata.authorization_endpoint, state, CodeChallengeMethod.S256, codeVerifier, ls.scope.split(' '))
      url.searchParams.set('audience', ls.audience)
      const q = new URL(await ls.browse(url.href)).searchParams
      if (q.get('state') !== state) throw new Error('state mismatch')
      const tokens = await oauthClient.validateAuthorizationCode(ls.metadata.token_endpoint, q.get('code'), codeVerifier)
      return (await jwtVerify(tokens.accessToken(), jwks, { issuer: ls.metadata.issuer, audience: ls.audience, algorithms: ['RS256'] })).payload
    }
  },

  async create(env) {
    const oauthClient = new OAuth2Client(APP.clientId, APP.clientSecret, APP.redirectUri)
    const tokenEndpoint = env.server.tokenEndpoint
    const scopes = APP.scope.split(' ')
    const refresh = async (refreshToken) => {
      const tokens = await oauthClient.refreshAccessToken(tokenEndpoint, refreshToken, [])
      return { accessToken: tokens.accessToken(), refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : refreshToken, expiresAt: tokens.accessTokenExpiresAt().getTime() / 1000 }
    }
    return {
      async authorize() {
        const url = oauthClient.createAuthorizationURLWithPKCE(`https://${AUTH0_DOMAIN}/authorize`, generateState(), CodeChallengeMethod.S256, generateCodeVerifier(), scopes)
        url.searchParams.set('audience', APP.audience)
        return url.href
      },
      async exchange() {
        const q = new URL(CALLBACK).searchParams
        if (q.get('state') !== STATE) throw new Error('state mismatch')
        const tokens = await oauthClient.validateAuthorizationCode(tokenEndpoint, q.get('code'), CODE_VERIFIER)
        return tokens.accessToken()
      },
      async refreshStorm(n) {
        const store = { tokens: expiredTokens() }
        await Promise.all(times(n, () => naiveGetAccessToken(store, refresh)))
      },
    }
  },
}
