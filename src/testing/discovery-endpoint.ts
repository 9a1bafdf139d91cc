// GET /.well-known/openid-configuration and /.well-known/jwks.json: the tenant's metadata and
// public keys, as Auth0 publishes them.
import { type TenantState, tenantUrl } from './state.js'

export function discoveryEndpoint(state: TenantState): Response {
  const { tenant, urls } = state
  return Response.json({
    issuer: tenant.issuer,
    authorization_endpoint: urls.authorize,
    token_endpoint: urls.token,
    device_authorization_endpoint: tenantUrl(urls.base, 'oauth/device/code'),
    userinfo_endpoint: urls.userinfo,
    mfa_challenge_endpoint: tenantUrl(urls.base, 'mfa/challenge'),
    jwks_uri: urls.jwks,
    registration_endpoint: tenantUrl(urls.base, 'oidc/register'),
    revocation_endpoint: urls.revoke,
    end_session_endpoint: urls.oidcLogout,
    scopes_supported: ['openid', 'profile', 'offline_access', 'name', 'given_name', 'family_name', 'nickname', 'email', 'email_verified', 'picture', 'created_at', 'identities', 'phone', 'address'],
    response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token'],
    code_challenge_methods_supported: ['S256', 'plain'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(['HS256', 'RS256', 'PS256', ...tenant.jwks.keys.flatMap((k) => (typeof k.alg === 'string' ? [k.alg] : []))])],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    claims_supported: ['aud', 'auth_time', 'created_at', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'identities', 'iss', 'name', 'nickname', 'phone_number', 'picture', 'sub'],
    request_uri_parameter_supported: false,
    request_parameter_supported: false,
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'PS256'],
    end_session_endpoint_methods_supported: ['GET'],
  })
}

export function jwksEndpoint(state: TenantState): Response {
  return Response.json(state.tenant.jwks, { headers: { 'cache-control': 'public, max-age=15' } })
}
