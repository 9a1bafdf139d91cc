// oauth4webapi: the low-level protocol library (authcode wraps it). No URL builder, no token store.
import * as oauth from 'oauth4webapi'
import { AUTH0_DOMAIN } from '../token-server.mjs'
import { ISSUER, JWKS_URI } from '../fixtures.mjs'
import { APP } from '../util.mjs'
import { CALLBACK, CODE_VERIFIER, STATE, expiredTokens, naiveGetAccessToken, times } from './common.mjs'

export default {
  name: 'oauth4webapi',
  package: 'oauth4webapi',
  importSpecifier: 'oauth4webapi',
  size: {
    authorize: { na: 'no URL builder: the app writes new URL() + searchParams itself (that is the raw row)' },
    flow: {
      code: `export { generateRandomState, generateRandomCodeVerifier, calculatePKCECodeChallenge, validateAuthResponse, ClientSecretPost, authorizationCodeGrantRequest, processAuthorizationCodeResponse, refreshTokenGrantRequest, processRefreshTokenResponse } from 'oauth4webapi'`,
      contains: 'generateRandomState, generateRandomCodeVerifier, calculatePKCECodeChallenge, validateAuthResponse, ClientSecretPost, authorizationCodeGrantRequest + processAuthorizationCodeResponse, refreshTokenGrantRequest + processRefreshTokenResponse (the authorize URL itself is app code, not counted)',
    },
    verify: { code: `export { validateJwtAccessToken } from 'oauth4webapi'`, contains: 'validateJwtAccessToken (RFC 9068 checks, its own JWKS fetch and cache)' },
  },

  /** A whole login against the local authorization server (metric 7); its own validateJwtAccessToken verifies. */
  createLogin(ls) {
    const as = ls.metadata
    const client = { client_id: ls.clientId }
    const auth = oauth.ClientSecretPost(ls.clientSecret)
    const insecure = { [oauth.allowInsecureRequests]: true }
    return async () => {
      const state = oauth.generateRandomState()
      const codeVerifier = oauth.generateRandomCodeVerifier()
      const url = new URL(as.authorization_endpoint)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('client_id', ls.clientId)
      url.searchParams.set('redirect_uri', ls.redirectUri)
      url.searchParams.set('scope', ls.scope)
      url.searchParams.set('audience', ls.audience)
      url.searchParams.set('state', state)
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
      url.searchParams.set('code_challenge_method', 'S256')
      const params = oauth.validateAuthResponse(as, client, new URL(await ls.browse(url.href)), state)
      const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, ls.redirectUri, codeVerifier, insecure)
      const json = await oauth.processAuthorizationCodeResponse(as, client, res)
      const request = new Request('https://api.bench.example/contacts', { headers: { authorization: `Bearer ${json.access_token}` } })
      return oauth.validateJwtAccessToken(as, request, ls.audience, insecure)
    }
  },

  async create(env) {
    const client = { client_id: APP.clientId }
    const auth = oauth.ClientSecretPost(APP.clientSecret)
    const auth0As = { issuer: `https://${AUTH0_DOMAIN}/`, authorization_endpoint: `https://${AUTH0_DOMAIN}/authorize` }
    const localAs = env.server.metadata
    const insecure = { [oauth.allowInsecureRequests]: true }
    const refresh = async (refreshToken) => {
      const res = await oauth.refreshTokenGrantRequest(localAs, client, auth, refreshToken, insecure)
      const json = await oauth.processRefreshTokenResponse(localAs, client, res)
      return { accessToken: json.access_token, refreshToken: json.refresh_token ?? refreshToken, expiresAt: Date.now() / 1000 + json.expires_in }
    }
    return {
      async authorize() {
        const state = oauth.generateRandomState()
        const codeVerifier = oauth.generateRandomCodeVerifier()
        const url = new URL(auth0As.authorization_endpoint)
        url.searchParams.set('response_type', 'code')
        url.searchParams.set('client_id', APP.clientId)
        url.searchParams.set('redirect_uri', APP.redirectUri)
        url.searchParams.set('scope', APP.scope)
        url.searchParams.set('audience', APP.audience)
        url.searchParams.set('state', state)
        url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
        url.searchParams.set('code_challenge_method', 'S256')
        return url.href
      },
      async exchange() {
        const params = oauth.validateAuthResponse(localAs, client, new URL(CALLBACK), STATE)
        const res = await oauth.authorizationCodeGrantRequest(localAs, client, auth, params, APP.redirectUri, CODE_VERIFIER, insecure)
        const json = await oauth.processAuthorizationCodeResponse(localAs, client, res)
        return json.access_token
      },
      async refreshStorm(n) {
        const store = { tokens: expiredTokens() }
        await Promise.all(times(n, () => naiveGetAccessToken(store, refresh)))
      },
      verifier(alg) {
        const as = { issuer: ISSUER, jwks_uri: JWKS_URI }
        const options = { [oauth.customFetch]: env.jwksFetch, signingAlgorithms: [alg] }
        // validateJwtAccessToken takes the incoming Request. A server already has one, so it is
        // built once per token here and not counted.
        const requests = new Map()
        return (token) => {
          let request = requests.get(token)
          if (request === undefined) {
            request = new Request('https://api.bench.example/contacts', { headers: { authorization: `Bearer ${token}` } })
            requests.set(token, request)
          }
          return oauth.validateJwtAccessToken(as, request, APP.audience, options)
        }
      },
    }
  },
}
