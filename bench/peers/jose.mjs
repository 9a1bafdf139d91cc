// jose: JWT verification with a remote JWKS (authcode/api is built on it). Verification only.
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose'
import { ISSUER, JWKS_URI } from '../fixtures.mjs'
import { APP } from '../util.mjs'

export default {
  name: 'jose',
  package: 'jose',
  importSpecifier: 'jose',
  size: {
    authorize: { na: 'not an OAuth client' },
    flow: { na: 'not an OAuth client' },
    verify: { code: `export { createRemoteJWKSet, jwtVerify } from 'jose'`, contains: 'createRemoteJWKSet + jwtVerify' },
  },

  async create(env) {
    return {
      verifier(alg) {
        const jwks = createRemoteJWKSet(new URL(JWKS_URI), { [customFetch]: env.jwksFetch })
        return async (token) => (await jwtVerify(token, jwks, { issuer: ISSUER, audience: APP.audience, algorithms: [alg] })).payload
      },
    }
  },
}
