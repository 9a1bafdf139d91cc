// Microsoft Entra ID, v2.0 endpoints of one tenant, with the two discovery documents people
// configure by mistake. Shapes from Microsoft Learn: "OpenID Connect on the Microsoft identity
// platform", "Access token claims reference" (v2.0: aud = the API's client id, scp a
// space-separated string, ver "2.0"), "ID token claims reference", "OAuth 2.0 authorization
// code flow" (ext_expires_in) and AADSTS error bodies (error_codes, trace_id, correlation_id).
import { type Grant, type Profile, randomText, scopes } from '../profile.js'

export const ENTRA_TENANT = '5d9a1c3e-2b7f-4e8a-9c61-0f3b8d2e7a44'
const LOGIN = 'https://login.microsoftonline.com'
const ISSUER = `${LOGIN}/${ENTRA_TENANT}/v2.0`
const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e'
/** The API's own app registration: v2.0 access tokens name it by client id in `aud`. */
export const ENTRA_API_ID = 'c3f3a6b8-1d2e-4f5a-8b9c-0d1e2f3a4b5c'
const API_SCOPE = (name: string) => `api://${ENTRA_API_ID}/${name}`

/** Where a tenant-less or v1 issuer sends discovery, and the issuer each document names. */
export const ENTRA_COMMON = { configured: `${LOGIN}/common/v2.0`, reported: `${LOGIN}/{tenantid}/v2.0` }
export const ENTRA_V1 = { configured: `${LOGIN}/${ENTRA_TENANT}`, reported: `https://sts.windows.net/${ENTRA_TENANT}/` }

function v2Document(tenant: string, issuer: string): Record<string, unknown> {
  return {
    token_endpoint: `${LOGIN}/${tenant}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${LOGIN}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${LOGIN}/${tenant}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${LOGIN}/${tenant}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${LOGIN}/${tenant}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${LOGIN}/${tenant}/kerberos`,
    tenant_region_scope: tenant === 'common' ? null : 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  }
}

const V1_DOCUMENT = {
  token_endpoint: `${LOGIN}/${ENTRA_TENANT}/oauth2/token`,
  token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
  jwks_uri: `${LOGIN}/common/discovery/keys`,
  response_modes_supported: ['query', 'fragment', 'form_post'],
  subject_types_supported: ['pairwise'],
  id_token_signing_alg_values_supported: ['RS256'],
  response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
  scopes_supported: ['openid'],
  issuer: ENTRA_V1.reported,
  microsoft_multi_refresh_token: true,
  authorization_endpoint: `${LOGIN}/${ENTRA_TENANT}/oauth2/authorize`,
  device_authorization_endpoint: `${LOGIN}/${ENTRA_TENANT}/oauth2/devicecode`,
  http_logout_supported: true,
  frontchannel_logout_supported: true,
  end_session_endpoint: `${LOGIN}/${ENTRA_TENANT}/oauth2/logout`,
  check_session_iframe: `${LOGIN}/${ENTRA_TENANT}/oauth2/checksession`,
  userinfo_endpoint: `${LOGIN}/${ENTRA_TENANT}/openid/userinfo`,
  tenant_region_scope: 'EU',
  cloud_instance_name: 'microsoftonline.com',
  cloud_graph_host_name: 'graph.windows.net',
  msgraph_host: 'graph.microsoft.com',
  rbac_url: 'https://pas.windows.net',
}

/** The API scopes of the login (`api://{api}/name`), as the access token's `scp` names them. */
function scp(grant: Grant): string {
  const prefix = `api://${ENTRA_API_ID}/`
  return scopes(grant.scope).filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length)).join(' ')
}

const OID = '00000000-0000-0000-66f3-3332eca7ea81'
const common = (grant: Grant, now: number) => ({ iss: ISSUER, iat: now, nbf: now, exp: now + 3599, rh: `0.AXEA${randomText(40)}.`, tid: ENTRA_TENANT, uti: randomText(22), ver: '2.0' })

export const ENTRA: Profile = {
  name: 'Microsoft Entra ID',
  issuer: ISSUER,
  config: { issuer: ISSUER },
  discoveryUrl: `${ISSUER}/.well-known/openid-configuration`,
  metadata: v2Document(ENTRA_TENANT, ISSUER),
  documents: {
    [`${ENTRA_COMMON.configured}/.well-known/openid-configuration`]: v2Document('common', ENTRA_COMMON.reported),
    [`${ENTRA_V1.configured}/.well-known/openid-configuration`]: V1_DOCUMENT,
  },
  client: {
    id: CLIENT_ID,
    secret: 'Xq98Q~f1LzV3nR0yKp5sWm2TgBh7cJ4dE6aU9iO_',
    redirectUri: 'https://app.example.com/callback',
    logoutUri: 'https://app.example.com/',
    authMethods: ['client_secret_post', 'client_secret_basic'],
  },
  user: { sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', email: 'jane@contoso.example', name: 'Jane Doe', preferred_username: 'jane@contoso.example', oid: OID },
  login: { scope: `openid profile email offline_access ${API_SCOPE('access_as_user')} ${API_SCOPE('Contacts.Read')}` },
  callbackExtras: (grant) => ({ session_state: grant.sid }),
  kids: { idToken: 'L1KfKFI_jnXbwWc22xZxw1sUHH0', accessToken: 'L1KfKFI_jnXbwWc22xZxw1sUHH0' },
  // v2.0 keys carry the tenant's issuer; x5t repeats the kid.
  jwk: (k, kid) => ({ kty: 'RSA', use: 'sig', kid, x5t: kid, n: k.n, e: k.e, issuer: ISSUER }),
  idToken: ({ grant, now }) => ({
    header: { typ: 'JWT' },
    claims: {
      aud: grant.clientId,
      ...common(grant, now),
      email: grant.user.email,
      name: grant.user.name,
      ...(grant.nonce !== undefined && { nonce: grant.nonce }),
      oid: grant.user.oid,
      preferred_username: grant.user.preferred_username,
      sid: grant.sid,
      sub: grant.user.sub,
    },
  }),
  accessToken: ({ grant, now }) => ({
    header: { typ: 'JWT' },
    claims: {
      aud: ENTRA_API_ID,
      ...common(grant, now),
      aio: randomText(60),
      azp: grant.clientId,
      azpacr: '1',
      name: grant.user.name,
      oid: grant.user.oid,
      preferred_username: grant.user.preferred_username,
      scp: scp(grant),
      sid: grant.sid,
      // Pairwise: the API sees another sub than the client.
      sub: 'j7hzX0Uw3dAuTQ8ZxU-ASgoiFeHP5yYpx0sEM4Xf4Ms',
    },
  }),
  issuesRefreshToken: (grant) => scopes(grant.scope).includes('offline_access'),
  refreshToken: () => `1.AXEAPh${randomText(400)}`,
  rotation: 'rotate-keep-old',
  tokenBody: ({ grant }, t) => ({
    token_type: 'Bearer',
    scope: scopes(grant.scope).filter((s) => s.startsWith('api://')).join(' '),
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: t.access_token,
    ...(t.refresh_token !== undefined && { refresh_token: t.refresh_token }),
    ...(t.id_token !== undefined && { id_token: t.id_token }),
  }),
  deadRefreshToken: {
    status: 400,
    body: {
      error: 'invalid_grant',
      error_description:
        "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '2024-05-02T09:14:41.3310000Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2024-05-03T11:02:17.0000000Z'.\r\nTrace ID: 2f0c8a3e-5b1d-4c6e-9f7a-1b2c3d4e5f60\r\nCorrelation ID: 7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928\r\nTimestamp: 2024-05-03 11:05:42Z",
      error_codes: [50173],
      timestamp: '2024-05-03 11:05:42Z',
      trace_id: '2f0c8a3e-5b1d-4c6e-9f7a-1b2c3d4e5f60',
      correlation_id: '7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928',
      error_uri: 'https://login.microsoftonline.com/error?code=50173',
    },
  },
  userinfo: ({ user }) => ({ sub: user.sub, name: user.name, email: user.email }),
  extraFields: ['ext_expires_in'],
  api: { audience: ENTRA_API_ID, grantedScope: 'Contacts.Read' },
}
