/**
 * CreateTestTenant's tenant served as msw handlers (needs msw 2).
 *
 * @module authcode/testing/msw
 */
export { createAuth0Handlers, type Auth0Handlers } from './auth0-handlers.js'
export type { Auth0HandlersOptions } from './options.js'
export type { TestLoginOptions } from './authorize-endpoint.js'
export type { Auth0Endpoint, Auth0Failure, FailOptions, GrantType } from './failures.js'
export type { RecordedTokenRequest } from './token-endpoint.js'
export type { RefreshTokenStatus } from './refresh-tokens.js'
