// authcode, the package under test, imported from its build (dist/) exactly as a user gets it.
import { TokenClient, TokenManager, createAuthorizationRequest, validateCallback } from '../../dist/index.js'
import { createAccessTokenVerifier } from '../../dist/api/index.js'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { APP, ROOT_DIR } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, times } from './common.mjs'

const dist = `${ROOT_DIR}dist`

export default {
  name: 'authcode',
  package: 'authcode',
  importSpecifier: 'authcode',
  size: {
    // The same three bundles as scripts/size.mjs and scripts/check-size.mjs.
    authorize: {
      code: `export { buildAuthorizeUrl } from '${dist}/index.js'`,
      contains: 'buildAuthorizeUrl (URL building and parameter checks; no randomness, no PKCE)',
    },
    flow: {
      code: `export { createAuthorizationRequest, validateCallback, exchangeCode, refreshTokens } from '${dist}/index.js'`,
      contains: 'createAuthorizationRequest (config validation, state, PKCE S256, PAR), validateCallback, exchangeCode and refreshTokens (discovery, every client authentication method, DPoP, ID token claim checks, typed errors); TokenClient with every grant is ~1.3 KB more',
    },
    verify: {
      code: `export { createAccessTokenVerifier } from '${dist}/api/index.js'`,
      contains: 'createAccessTokenVerifier from authcode/api (jose compactVerify, JWKS cache, claim and scope checks, typed errors); DPoP proof checking (dpopProofs) is ~0.9 KB more',
    },
  },

  /** A whole login against the local authorization server (metric 7). */
  createLogin(ls) {
    const config = { issuer: ls.issuer, clientId: ls.clientId, clientSecret: ls.clientSecret, audience: ls.audience, allowInsecureRequests: true }
    const client = new TokenClient(config)
    const verify = createAccessTokenVerifier({ issuer: ls.issuer, audience: ls.audience, allowInsecureRequests: true })
    return async () => {
      const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: ls.redirectUri, scope: ls.scope })
      const { code } = validateCallback(await ls.browse(url.href), transaction)
      const tokens = await client.exchangeCode({ code, ...transaction })
      return verify(tokens.accessToken)
    }
  },

  async create(env) {
    // Authorize: an Auth0 domain, so no network. Token endpoint: the local server, by discovery (once).
    const domainConfig = { domain: AUTH0_DOMAIN, clientId: APP.clientId, clientSecret: APP.clientSecret, audience: APP.audience }
    const localConfig = { issuer: env.server.issuer, clientId: APP.clientId, clientSecret: APP.clientSecret, allowInsecureRequests: true }
    const client = new TokenClient(localConfig)
    return {
      async authorize() {
        const { url } = await createAuthorizationRequest(domainConfig, { redirectUri: APP.redirectUri, scope: APP.scope })
        return url.href
      },
      async exchange() {
        const { code } = validateCallback(CALLBACK, { state: STATE })
        const tokens = await client.exchangeCode({ code, redirectUri: APP.redirectUri, codeVerifier: CODE_VERIFIER })
        return tokens.accessToken
      },
      // Natural usage: one TokenManager; every caller asks it for the user's access token.
      async refreshStorm(n) {
        const manager = new TokenManager({ client })
        await manager.save('user', { ...expiredTokens(), tokenType: 'Bearer' })
        await Promise.all(times(n, () => manager.getAccessToken('user')))
      },
      verifier(alg) {
        return createAccessTokenVerifier({ domain: AUTH0_DOMAIN, audience: APP.audience, algorithms: [alg], fetch: env.jwksFetch })
      },
    }
  },
}
