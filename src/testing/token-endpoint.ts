// POST /oauth/token: records each request, then answers the authorization code grant (single-use
// codes, redirect_uri match, PKCE), the refresh token grant and client credentials.
import { base64url } from 'jose'
import { type ClientAuthMethod, type PresentedClientAuth, authenticate, presentedClientAuth } from './client-auth.js'
import { type Failures, isGrantType } from './failures.js'
import { issueTokens } from './issue-tokens.js'
import { newRefreshToken, refreshGrant } from './refresh-tokens.js'
import type { Family, TenantState } from './state.js'
import { scopeList } from './user.js'
import { INVALID_CODE, missingParameter, nowSeconds, oauthError, readBody, tokenJson } from './wire.js'

/**
 * One request the token endpoint received, with its body parsed, in arrival order.
 *
 * @example
 * ```ts
 * const [first] = auth0.requests
 * expect(first?.grantType).toBe('authorization_code')
 * expect(first?.form.get('code_verifier')).toBe(transaction.codeVerifier)
 * expect(first?.clientAuth).toBe('client_secret_post')
 * ```
 */
export interface RecordedTokenRequest {
  /** `grant_type`, when sent. */
  grantType: string | undefined
  /** The body's parameters (a JSON body is converted). */
  form: URLSearchParams
  /** The request's headers. */
  headers: Headers
  /** The client ID, from the body or the Basic header. */
  clientId: string | undefined
  /** How the client authenticated. */
  clientAuth: ClientAuthMethod
  /** The HTTP status answered (0 until the answer is ready). */
  status: number
}

/** Records the request in `requests`, then answers it (or a failure switched on for it). */
export async function tokenEndpoint(state: TenantState, failures: Failures, requests: RecordedTokenRequest[], request: Request): Promise<Response> {
  const body = await readBody(request)
  const grantType = body.form.get('grant_type') ?? undefined
  const auth = presentedClientAuth(request.headers, body.form)
  const record: RecordedTokenRequest = {
    grantType,
    form: body.form,
    headers: request.headers,
    clientId: auth.clientId,
    clientAuth: auth.method,
    status: 0,
  }
  requests.push(record)
  return failures.answer('token', grantType, request.signal, async () => {
    if (body.problem !== undefined) return oauthError('invalid_request', body.problem)
    if (grantType === undefined) return missingParameter('grant_type')
    if (!isGrantType(grantType)) return oauthError('unsupported_grant_type', `Unsupported grant type: ${grantType}`)
    const refused = await authenticate(state, auth)
    if (refused) return refused
    switch (grantType) {
      case 'authorization_code':
        return codeGrant(state, body.form, auth)
      case 'refresh_token':
        return refreshGrant(state, body.form, auth)
      case 'client_credentials':
        return clientCredentialsGrant(state, body.form, auth)
    }
  }, record)
}

/** RFC 7636: does the verifier match the challenge? */
async function pkceMatches(verifier: string, challenge: string, method: string): Promise<boolean> {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false
  if (method === 'plain') return verifier === challenge
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64url.encode(new Uint8Array(digest)) === challenge
}

async function codeGrant(state: TenantState, form: URLSearchParams, auth: PresentedClientAuth): Promise<Response> {
  const code = form.get('code')
  if (!code) return missingParameter('code')
  const record = state.codes.get(code)
  if (record === undefined || record.clientId !== auth.clientId) return oauthError('invalid_grant', INVALID_CODE)
  if (record.used) {
    // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
    for (const family of record.families) family.revoked = true
    return oauthError('invalid_grant', INVALID_CODE)
  }
  record.used = true
  const redirectUri = form.get('redirect_uri')
  if (redirectUri !== record.redirectUri) {
    return oauthError('invalid_grant', redirectUri === null ? 'Missing required parameter: redirect_uri' : 'Invalid redirect_uri: it must be the one of the authorization request')
  }
  const verifier = form.get('code_verifier')
  if (record.codeChallenge !== undefined) {
    if (verifier === null) return oauthError('invalid_grant', 'Parameter code_verifier is required: the authorization request had a code_challenge')
    if (!(await pkceMatches(verifier, record.codeChallenge, record.codeChallengeMethod))) {
      return oauthError('invalid_grant', 'Failed to verify code verifier')
    }
  } else if (auth.method === 'none') {
    return oauthError('invalid_grant', 'A public client must use PKCE: the authorization request had no code_challenge')
  }
  let refreshToken: string | undefined
  if (record.scope.includes('offline_access')) {
    const family: Family = {
      clientId: record.clientId,
      user: record.user,
      scope: record.scope,
      audience: record.audience,
      org: record.org,
      authTime: record.authTime,
      sid: record.sid,
      idTokenClaims: record.idTokenClaims,
      accessTokenClaims: record.accessTokenClaims,
      revoked: false,
    }
    record.families.push(family)
    refreshToken = newRefreshToken(state, family)
  }
  return issueTokens(state, record, { scope: record.scope, nonce: record.nonce, refreshToken })
}

async function clientCredentialsGrant(state: TenantState, form: URLSearchParams, auth: PresentedClientAuth): Promise<Response> {
  const { tenant, settings } = state
  if (auth.method === 'none') return oauthError('unauthorized_client', "Grant type 'client_credentials' not allowed for the client.")
  const audience = form.get('audience') ?? settings.audience
  if (!audience) return oauthError('access_denied', 'No audience parameter was provided, and no default audience has been configured')
  const now = nowSeconds()
  const scope = scopeList(form.get('scope'))
  const accessToken = await tenant.signAccessToken({
    sub: `${tenant.clientId}@clients`,
    aud: audience,
    iat: now,
    exp: now + settings.accessTokenTtl,
    scope: scope.join(' '),
    azp: tenant.clientId,
    client_id: tenant.clientId,
    gty: 'client-credentials',
  })
  state.accessTokens.set(accessToken, { user: undefined, scope, exp: now + settings.accessTokenTtl })
  return tokenJson({ access_token: accessToken, ...(scope.length > 0 && { scope: scope.join(' ') }), expires_in: settings.accessTokenTtl, token_type: 'Bearer' })
}
