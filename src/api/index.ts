/**
 * The resource-server side. Verifies access tokens (and ID tokens from elsewhere).
 *
 * @module authcode/api
 */
export {
  AuthcodeError,
  InvalidTokenError,
  InsufficientScopeError,
  IdTokenError,
  LogoutTokenError,
  ConfigError,
  NetworkError,
  ResponseError,
  TimeoutError,
} from '../errors.js'
export { extractBearerToken, requireScopes, type ScopedClaims } from './scopes.js'
export {
  createAccessTokenVerifier,
  type AccessTokenClaims,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type VerifyOptions,
  type JwksCache,
} from './verifier.js'
export { verifyIdToken, type VerifyIdTokenOptions } from './id-token.js'
export { verifyLogoutToken, type VerifyLogoutTokenOptions, type LogoutTokenClaims } from './logout-token.js'
export { errorResponse } from './respond.js'
export { dpopProofs, type DpopProofs, type DpopProofsOptions, type DpopRequest } from './dpop.js'
export type { StandardSchemaV1, InferClaims } from '../lib/standard-schema.js'
