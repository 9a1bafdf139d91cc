// Refresh tokens: issuing them, the refresh token grant with Auth0's rotation and reuse
// detection, and what became of a token.
import type { PresentedClientAuth } from './client-auth.js'
import { issueTokens } from './issue-tokens.js'
import type { Family, TenantState } from './state.js'
import { scopeList } from './user.js'
import { INVALID_REFRESH_TOKEN, missingParameter, nowSeconds, oauthError, randomToken } from './wire.js'

/**
 * What became of a refresh token, for {@link Auth0Handlers.refreshTokenStatus}.
 *
 * @example
 * ```ts
 * const status: RefreshTokenStatus = auth0.refreshTokenStatus(tokens.refreshToken!) // "active"
 * ```
 */
export type RefreshTokenStatus = 'active' | 'rotated' | 'revoked' | 'unknown'

/** Whether a refresh token works, was rotated away, was revoked, or was never issued. */
export function refreshTokenStatus(state: TenantState, refreshToken: string): RefreshTokenStatus {
  const entry = state.refreshTokens.get(refreshToken)
  if (entry === undefined) return 'unknown'
  if (entry.family.revoked) return 'revoked'
  return entry.rotated ? 'rotated' : 'active'
}

/** A new refresh token of `family`. */
export function newRefreshToken(state: TenantState, family: Family): string {
  const token = `v1.${randomToken(48)}`
  state.refreshTokens.set(token, { family, rotated: false, rotatedAt: 0 })
  return token
}

/** The refresh token grant, for a client already authenticated. */
export async function refreshGrant(state: TenantState, form: URLSearchParams, auth: PresentedClientAuth): Promise<Response> {
  const token = form.get('refresh_token')
  if (!token) return missingParameter('refresh_token')
  const entry = state.refreshTokens.get(token)
  if (entry === undefined || entry.family.clientId !== auth.clientId || entry.family.revoked) {
    return oauthError('invalid_grant', INVALID_REFRESH_TOKEN)
  }
  if (entry.rotated && nowSeconds() - entry.rotatedAt >= state.settings.reuseIntervalSeconds) {
    // Reuse of a rotated-away token: Auth0 takes it as theft and revokes the whole family.
    entry.family.revoked = true
    return oauthError('invalid_grant', INVALID_REFRESH_TOKEN)
  }
  let scope = entry.family.scope
  const asked = form.get('scope')
  if (asked !== null) {
    const requested = scopeList(asked)
    const extra = requested.filter((s) => !entry.family.scope.includes(s))
    if (extra.length > 0) return oauthError('invalid_scope', `The requested scope is not a subset of the granted scope: ${extra.join(' ')}`)
    scope = requested
  }
  let refreshToken: string | undefined
  if (state.settings.refreshTokenRotation) {
    if (!entry.rotated) Object.assign(entry, { rotated: true, rotatedAt: nowSeconds() })
    refreshToken = newRefreshToken(state, entry.family)
  }
  return issueTokens(state, entry.family, { scope, refreshToken })
}
