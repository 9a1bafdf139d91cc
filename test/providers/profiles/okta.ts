// Okta: the org authorization server (issuer = the org URL, /oauth2/v1/…) and a custom
// authorization server ("default": /oauth2/default/v1/…). Shapes from Okta's "OpenID Connect &
// OAuth 2.0 API" reference and "Tokens" guide (access tokens with ver 1, jti "AT.…", cid, uid,
// scp as an array, sub = the user's login; ID tokens with ver 1, amr, idp) and its error bodies.
import { type Profile, atHash, randomText, scopes } from '../profile.js'

const ORG = 'https://dev-123456.okta.com'
const CLIENT_ID = '0oa8f5j3ecb5w3dF35d7'
const UID = '00u8f5j3ecb5w3dF35d6'

function okta(kind: 'org' | 'custom'): Profile {
  const issuer = kind === 'org' ? ORG : `${ORG}/oauth2/default`
  const v1 = kind === 'org' ? `${ORG}/oauth2/v1` : `${issuer}/v1`
  const audience = kind === 'org' ? ORG : 'api://default'
  return {
    name: kind === 'org' ? 'Okta org authorization server' : 'Okta custom authorization server',
    issuer,
    config: { issuer },
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    metadata: {
      issuer,
      authorization_endpoint: `${v1}/authorize`,
      token_endpoint: `${v1}/token`,
      userinfo_endpoint: `${v1}/userinfo`,
      registration_endpoint: `${ORG}/oauth2/v1/clients`,
      jwks_uri: `${v1}/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post', 'okta_post_message'],
      grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'urn:ietf:params:oauth:grant-type:device_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', ...(kind === 'custom' ? ['contacts:read'] : ['groups'])],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
      claims_supported: ['iss', 'ver', 'sub', 'aud', 'iat', 'exp', 'jti', 'auth_time', 'amr', 'idp', 'nonce', 'name', 'nickname', 'preferred_username', 'given_name', 'family_name', 'email', 'email_verified', 'zoneinfo', 'locale', 'updated_at', 'at_hash'],
      code_challenge_methods_supported: ['S256'],
      introspection_endpoint: `${v1}/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
      revocation_endpoint: `${v1}/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
      end_session_endpoint: `${v1}/logout`,
      request_parameter_supported: true,
      request_object_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
      device_authorization_endpoint: `${v1}/device/authorize`,
      pushed_authorization_request_endpoint: `${v1}/par`,
      dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
    },
    client: {
      id: CLIENT_ID,
      secret: 'kXq1Lr3Vb8yTz0Hn5Wm2Ps7Fd4Jc9Ga6Ue1Io3K',
      redirectUri: 'https://app.example.com/callback',
      logoutUri: 'https://app.example.com/',
      authMethods: ['client_secret_basic', 'client_secret_post'],
    },
    user: { sub: UID, email: 'jane@example.com', name: 'Jane Doe', preferred_username: 'jane@example.com' },
    login: { scope: kind === 'custom' ? 'openid profile email offline_access contacts:read' : 'openid profile email offline_access' },
    kids: { idToken: kind === 'org' ? 'Zq0Yj8Q4jQm1mZvZqJ0y7Q4x2h3vKkT5o5c3XcP1h5w' : 'vn1Ch2QXpNo9lpP5lXBYt9yRnK4Dq8sfDqEeC2LLeAY', accessToken: kind === 'org' ? 'Zq0Yj8Q4jQm1mZvZqJ0y7Q4x2h3vKkT5o5c3XcP1h5w' : 'vn1Ch2QXpNo9lpP5lXBYt9yRnK4Dq8sfDqEeC2LLeAY' },
    jwk: (k, kid) => ({ kty: 'RSA', alg: 'RS256', kid, use: 'sig', e: k.e, n: k.n }),
    idToken: async ({ grant, now }, accessToken) => ({
      header: {},
      claims: {
        sub: grant.user.sub,
        name: grant.user.name,
        email: grant.user.email,
        ver: 1,
        iss: issuer,
        aud: grant.clientId,
        iat: now,
        exp: now + 3600,
        jti: `ID.${randomText(43)}`,
        amr: ['pwd'],
        idp: '00o8f5j3ecb5w3dF35d5',
        ...(grant.nonce !== undefined && { nonce: grant.nonce }),
        preferred_username: grant.user.preferred_username,
        auth_time: grant.authTime,
        at_hash: await atHash(accessToken),
      },
    }),
    accessToken: ({ grant, now }) => ({
      header: {},
      claims: {
        ver: 1,
        jti: `AT.${randomText(43)}`,
        iss: issuer,
        aud: audience,
        iat: now,
        exp: now + 3600,
        cid: grant.clientId,
        uid: grant.user.sub,
        scp: scopes(grant.scope),
        auth_time: grant.authTime,
        // Okta's access tokens name the user by login, not by id.
        sub: grant.user.preferred_username,
      },
    }),
    issuesRefreshToken: (grant) => scopes(grant.scope).includes('offline_access'),
    refreshToken: () => randomText(43),
    rotation: 'rotate',
    tokenBody: ({ grant }, t) => ({
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: t.access_token,
      scope: grant.scope,
      ...(t.refresh_token !== undefined && { refresh_token: t.refresh_token }),
      ...(t.id_token !== undefined && { id_token: t.id_token }),
    }),
    extraFields: [],
    deadRefreshToken: { status: 400, body: { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' } },
    userinfo: ({ user }) => ({ sub: user.sub, name: user.name, locale: 'en-US', email: user.email, preferred_username: user.preferred_username, zoneinfo: 'America/Los_Angeles', updated_at: 1714641281, email_verified: true }),
    ...(kind === 'custom' && { api: { audience: 'api://default', grantedScope: 'contacts:read' } }),
  }
}

export const OKTA_ORG = okta('org')
export const OKTA_CUSTOM = okta('custom')
