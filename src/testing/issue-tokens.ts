// The token endpoint's answer to a user's grant: an access token (a JWT for an audience, else
// an opaque /userinfo token), an ID token when the scope has openid, and the refresh token given.
import type { Grant, TenantState } from './state.js'
import { profileClaims } from './user.js'
import { nowSeconds, randomToken, tokenJson } from './wire.js'

/** Signs the tokens for `grant` with `scope` and records the access token for /userinfo. */
export async function issueTokens(state: TenantState, grant: Grant, p: { scope: string[]; nonce?: string | undefined; refreshToken?: string | undefined }): Promise<Response> {
  const { tenant, settings } = state
  const now = nowSeconds()
  const scope = p.scope.join(' ')
  const openid = p.scope.includes('openid')
  let accessToken: string
  if (grant.audience !== undefined) {
    accessToken = await tenant.signAccessToken({
      sub: grant.user.sub,
      aud: openid ? [grant.audience, state.urls.userinfo] : grant.audience,
      iat: now,
      exp: now + settings.accessTokenTtl,
      scope,
      azp: grant.clientId,
      client_id: grant.clientId,
      ...grant.org,
      ...grant.accessTokenClaims,
    })
  } else {
    // Without an audience Auth0 issues a token good for /userinfo only, not a JWT to read.
    accessToken = randomToken(32)
  }
  state.accessTokens.set(accessToken, { user: grant.user, scope: p.scope, exp: now + settings.accessTokenTtl })
  const body: Record<string, unknown> = { access_token: accessToken }
  if (openid) {
    body.id_token = await tenant.signIdToken({
      ...profileClaims(grant.user, p.scope),
      aud: grant.clientId,
      iat: now,
      exp: now + settings.idTokenTtl,
      auth_time: grant.authTime,
      sid: grant.sid,
      ...(p.nonce !== undefined && { nonce: p.nonce }),
      ...grant.org,
      ...grant.idTokenClaims,
    })
  }
  if (p.refreshToken !== undefined) body.refresh_token = p.refreshToken
  body.scope = scope
  body.expires_in = settings.accessTokenTtl
  body.token_type = 'Bearer'
  return tokenJson(body)
}
