// simple-oauth2 5: the long-standing Node OAuth 2.0 client (CommonJS, @hapi/wreck over node:http, joi config).
import { createHash, randomBytes } from 'node:crypto'
import { AuthorizationCode } from 'simple-oauth2'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, times } from './common.mjs'

export default {
  name: 'simple-oauth2',
  package: 'simple-oauth2',
  importSpecifier: 'simple-oauth2',
  size: {
    authorize: { code: `export { AuthorizationCode } from 'simple-oauth2'`, contains: 'AuthorizationCode (authorizeURL; the class carries getToken and its HTTP client)' },
    flow: { code: `export { AuthorizationCode } from 'simple-oauth2'`, contains: 'AuthorizationCode (authorizeURL, getToken, AccessToken.refresh); state and PKCE are app code with node:crypto' },
    verify: { na: 'no token verification' },
  },

  async create(env) {
    const oauthClient = new AuthorizationCode({
      client: { id: APP.clientId, secret: APP.clientSecret },
      auth: { tokenHost: env.server.origin, tokenPath: '/oauth/token', authorizeHost: `https://${AUTH0_DOMAIN}`, authorizePath: '/authorize' },
    })
    return {
      async authorize() {
        const codeVerifier = randomBytes(32).toString('base64url')
        return oauthClient.authorizeURL({
          redirect_uri: APP.redirectUri,
          scope: APP.scope,
          audience: APP.audience,
          state: randomBytes(32).toString('base64url'),
          code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
          code_challenge_method: 'S256',
        })
      },
      async exchange() {
        const q = new URL(CALLBACK).searchParams
        if (q.get('state') !== STATE) throw new Error('state mismatch')
        const token = await oauthClient.getToken({ code: q.get('code'), redirect_uri: APP.redirectUri, code_verifier: CODE_VERIFIER })
        return token.token.access_token
      },
      // Natural usage: the AccessToken object of the session; each caller refreshes it when expired().
      async refreshStorm(n) {
        const e = expiredTokens()
        const session = { token: oauthClient.createToken({ access_token: e.accessToken, refresh_token: e.refreshToken, token_type: 'Bearer', expires_at: new Date(e.expiresAt * 1000).toISOString() }) }
        await Promise.all(
          times(n, async () => {
            if (session.token.expired(60)) session.token = await session.token.refresh()
            return session.token.token.access_token
          }),
        )
      },
    }
  },
}
