// authcode/testing: a stand-in Auth0 tenant for tests. createTestTenant (tenant.ts) makes its
// keys and signs its tokens; createAuth0Handlers (auth0-handlers.ts) serves it as msw handlers.
export { createTestTenant, type TestTenant, type TestTenantOptions, type TokenEndpointJson } from './tenant.js'
export { createAuth0Handlers, type Auth0Handlers } from './auth0-handlers.js'
export type { Auth0HandlersOptions } from './options.js'
export type { TestUser } from './user.js'
export type { TestLoginOptions } from './authorize-endpoint.js'
export type { Auth0Endpoint, Auth0Failure, FailOptions, GrantType } from './failures.js'
export type { RecordedTokenRequest } from './token-endpoint.js'
export type { RefreshTokenStatus } from './refresh-tokens.js'
export { mintSession, type MintSessionOptions } from './session.js'
