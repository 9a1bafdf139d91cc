// The raw baseline (../raw.mjs) as an adapter: URLSearchParams + fetch + crypto.subtle only.
import * as raw from '../raw.mjs'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { ISSUER, JWKS_URI } from '../fixtures.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, naiveGetAccessToken, times } from './common.mjs'

export default {
  name: 'raw',
  package: null,
  importSpecifier: './raw.mjs',
  size: {
    authorize: { code: `export { buildAuthorizeUrl } from './raw.mjs'`, contains: 'buildAuthorizeUrl: new URL + searchParams.set' },
    flow: {
      code: `export { createAuthorizationRequest, validateCallback, exchangeCode, refresh } from './raw.mjs'`,
      contains: 'state + PKCE (getRandomValues, subtle.digest), URL, callback state check, code and refresh grants over fetch (client_secret_post)',
    },
    verify: { code: `export { createVerifier } from './raw.mjs'`, contains: 'JWKS fetch + importKey once, split, alg allow-list, subtle.verify, iss/aud/exp checks' },
  },

  /** A whole login against the local authorization server (metric 7). */
  createLogin(ls) {
    const m = ls.metadata
    const verify = raw.createVerifier({ jwksUri: m.jwks_uri, issuer: m.issuer, audience: ls.audience, algorithms: ['RS256'] })
    return async () => {
      const { url, state, codeVerifier } = await raw.createAuthorizationRequest({
        authorizationEndpoint: m.authorization_endpoint,
        clientId: ls.clientId,
        redirectUri: ls.redirectUri,
        scope: ls.scope,
        audience: ls.audience,
      })
      const code = raw.validateCallback(await ls.browse(url.href), state)
      const json = await raw.exchangeCode({ tokenEndpoint: m.token_endpoint, clientId: ls.clientId, clientSecret: ls.clientSecret, code, redirectUri: ls.redirectUri, codeVerifier })
      return verify(json.access_token)
    }
  },

  async create(env) {
    const tokenParams = { tokenEndpoint: env.server.tokenEndpoint, clientId: APP.clientId, clientSecret: APP.clientSecret }
    return {
      async authorize() {
        const { url } = await raw.createAuthorizationRequest({
          authorizationEndpoint: `https://${AUTH0_DOMAIN}/authorize`,
          clientId: APP.clientId,
          redirectUri: APP.redirectUri,
          scope: APP.scope,
          audience: APP.audience,
        })
        return url.href
      },
      async exchange() {
        const code = raw.validateCallback(CALLBACK, STATE)
        const json = await raw.exchangeCode({ ...tokenParams, code, redirectUri: APP.redirectUri, codeVerifier: CODE_VERIFIER })
        return json.access_token
      },
      async refreshStorm(n) {
        const store = { tokens: expiredTokens() }
        const refresh = async (refreshToken) => {
          const json = await raw.refresh({ ...tokenParams, refreshToken })
          return { accessToken: json.access_token, refreshToken: json.refresh_token ?? refreshToken, expiresAt: Date.now() / 1000 + json.expires_in }
        }
        await Promise.all(times(n, () => naiveGetAccessToken(store, refresh)))
      },
      verifier(alg) {
        return raw.createVerifier({ jwksUri: JWKS_URI, issuer: ISSUER, audience: APP.audience, algorithms: [alg], fetch: env.jwksFetch })
      },
    }
  },
}
