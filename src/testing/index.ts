/**
 * A stand-in Auth0 tenant for tests, without msw. createTestTenant (tenant.ts)
 * makes its keys and signs its tokens; mintSession (session.ts) logs a user into an
 * authcode/server app. The msw handlers that serve the tenant are authcode/testing/msw.
 *
 * @module authcode/testing
 */
export { createTestTenant, type TestTenant, type TestTenantOptions, type TokenEndpointJson } from './tenant.js'
export type { TestUser } from './user.js'
export { mintSession, type MintSessionOptions } from './session.js'
