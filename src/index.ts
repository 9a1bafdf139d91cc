/**
 * The OAuth 2.0 Authorization Code Flow for Auth0 and any OpenID Connect provider.
 *
 * @module authcode
 */
export { generateState, generateNonce, generateCodeVerifier, createCodeChallenge, generateDpopKeyPair } from './login/random.js'
export {
  buildAuthorizeUrl,
  parseInvitationUrl,
  type AuthorizeOptions,
  type BuildAuthorizeUrlParams,
  type InvitationParams,
} from './login/authorize.js'
export { buildLogoutUrl, type BuildLogoutUrlParams, type LogoutParams } from './login/logout.js'
export {
  createAuthorizationRequest,
  type CreateAuthorizationRequestParams,
  type AuthorizationTransaction,
} from './login/authorization-request.js'
export { validateCallback, type ExpectedCallback, type CallbackResult } from './login/callback.js'
export {
  TokenClient,
  type ExchangeCodeParams,
  type RefreshParams,
  type ClientCredentialsParams,
  type RevokeOptions,
  type RequestOptions,
} from './tokens/token-client.js'
export { exchangeCode, refreshTokens } from './tokens/grants.js'
export {
  TokenManager,
  type TokenManagerOptions,
  type GetAccessTokenOptions,
  type ClearOptions,
} from './tokens/token-manager.js'
export type { TokenStorage } from './storage/token-storage.js'
export { MemoryStorage } from './storage/memory.js'
export { withWebLocks, type WebLocksOptions } from './storage/web-locks.js'
export {
  IndexedDBTokenStorage,
  WebStorageTokenStorage,
  type IndexedDBTokenStorageOptions,
} from './storage/web-storage.js'
export {
  sealTransaction,
  openTransaction,
  sealSession,
  openSession,
  type SealOptions,
  type OpenSealOptions,
} from './cookies/seal.js'
export {
  parseCookieHeader,
  serializeCookie,
  splitCookie,
  joinCookie,
  serializeChunkedCookie,
  clearChunkedCookie,
  type CookieAttributes,
  type CookieChunk,
  type SplitCookieOptions,
  type CookieSource,
} from './cookies/cookie.js'
export {
  createTransactionCookie,
  type TransactionCookie,
  type TransactionCookieOptions,
  type ReplayStore,
} from './cookies/transaction-cookie.js'
export { isExpired, type TokenSet, type TokenResponseExtra, type IdTokenClaims } from './token-set.js'
export type { ClientConfig, ClientAuthMethod } from './config.js'
export type { StandardSchemaV1, InferClaims } from './lib/standard-schema.js'
export {
  AuthcodeError,
  ConfigError,
  AuthorizationError,
  StateMismatchError,
  CallbackError,
  OAuthError,
  ResponseError,
  NetworkError,
  TimeoutError,
  AbortError,
  IdTokenError,
  LoginRequiredError,
  InvalidTokenError,
  InsufficientScopeError,
  SealError,
  LockTimeoutError,
  LogoutTokenError,
  type AnyAuthcodeError,
  type AuthcodeErrorCode,
  type AuthcodeErrorJSON,
} from './errors.js'
