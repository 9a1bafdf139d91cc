// What the adapters share: the callback every exchange handles, and the expired token set of the refresh metric.
import { APP } from '../util.mjs'

/** The state and PKCE verifier "stored" at /login, and the callback the provider "redirected" to. */
export const STATE = 'bench-state-4qvQ3lYl8Jt0m3VQ3n6bqg'
export const CODE_VERIFIER = 'bench-verifier-' + 'v'.repeat(43)
export const CALLBACK = `${APP.redirectUri}?code=bench-code-0123456789&state=${STATE}`

export const times = (n, fn) => Array.from({ length: n }, fn)

/** A token set whose access token expired a minute ago (fields in each library's own shape are made from it). */
export function expiredTokens() {
  return {
    accessToken: 'expired-access-token',
    refreshToken: 'bench-refresh-token-0000000000000000000000',
    expiresAt: Math.floor(Date.now() / 1000) - 60,
  }
}

/** The usual hand-written "refresh when expired" that every library without a token manager leaves to the app. */
export async function naiveGetAccessToken(store, refresh) {
  const current = store.tokens
  if (current.expiresAt > Date.now() / 1000 + 60) return current.accessToken
  const fresh = await refresh(current.refreshToken)
  store.tokens = fresh
  return fresh.accessToken
}
