// POST /oauth/revoke: revokes a refresh token's whole family (RFC 7009).
import { authenticate, presentedClientAuth } from './client-auth.js'
import type { TenantState } from './state.js'
import { missingParameter, oauthError, readBody } from './wire.js'

export async function revokeEndpoint(state: TenantState, request: Request): Promise<Response> {
  const body = await readBody(request)
  if (body.problem !== undefined) return oauthError('invalid_request', body.problem)
  const auth = presentedClientAuth(request.headers, body.form)
  const refused = await authenticate(state, auth)
  if (refused) return refused
  const token = body.form.get('token')
  if (!token) return missingParameter('token')
  const entry = state.refreshTokens.get(token)
  if (entry !== undefined && entry.family.clientId === auth.clientId) entry.family.revoked = true
  // RFC 7009: an unknown or dead token is not an error.
  return new Response(null, { status: 200 })
}
