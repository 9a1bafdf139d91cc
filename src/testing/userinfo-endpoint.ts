// GET and POST /userinfo: the user's claims that the access token's scope lets through.
import type { TenantState } from './state.js'
import { profileClaims } from './user.js'
import { bearerError, nowSeconds } from './wire.js'

export function userinfoEndpoint(state: TenantState, request: Request): Response {
  const realm = state.tenant.domain
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')
  if (!match?.[1]) return bearerError(401, undefined, 'No access token', realm)
  const record = state.accessTokens.get(match[1])
  if (record === undefined) return bearerError(401, 'invalid_token', 'Invalid token', realm)
  if (record.exp <= nowSeconds()) return bearerError(401, 'invalid_token', 'The access token expired', realm)
  if (record.user === undefined || !record.scope.includes('openid')) {
    return bearerError(403, 'insufficient_scope', 'The access token has no openid scope', realm)
  }
  return Response.json(profileClaims(record.user, record.scope))
}
