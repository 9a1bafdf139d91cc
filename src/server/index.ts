/**
 * Login, callback, logout and sessions for any framework with Web Request/Response.
 *
 * @module authcode/server
 */
export { createAuth, type Auth } from './auth.js'
export type { AuthOptions, AuthRoutes, AuthHooks, Session, SessionOptions } from './options.js'
export type { AccessTokenOptions } from './tokens.js'
export type { CallbackFailure, CallbackFailureReason } from './failure.js'
export { MemorySessionStore, type SessionStore, type SessionData, type SessionAccessToken, type SessionMatch } from '../storage/session-store.js'
