// Auth0: a tenant domain or a custom domain. Shapes from Auth0's docs ("Access Token Profiles"
// with the RFC 9068 profile, "Refresh Token Rotation", "Authentication API: Get Token") and a
// tenant's /.well-known/openid-configuration.
import { type Profile, randomText, scopes } from '../profile.js'

const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'
const API = 'https://api.example.com'

export function auth0(host: string, name: string): Profile {
  const base = `https://${host}`
  const issuer = `${base}/`
  return {
    name,
    issuer,
    config: { domain: host },
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    metadata: {
      issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/oauth/token`,
      device_authorization_endpoint: `${base}/oauth/device/code`,
      userinfo_endpoint: `${base}/userinfo`,
      mfa_challenge_endpoint: `${base}/mfa/challenge`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      registration_endpoint: `${base}/oidc/register`,
      revocation_endpoint: `${base}/oauth/revoke`,
      scopes_supported: ['openid', 'profile', 'offline_access', 'name', 'given_name', 'family_name', 'nickname', 'email', 'email_verified', 'picture', 'created_at', 'identities', 'phone', 'address'],
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token'],
      code_challenge_methods_supported: ['S256', 'plain'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      claims_supported: ['aud', 'auth_time', 'created_at', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'identities', 'iss', 'name', 'nickname', 'phone_number', 'picture', 'sub'],
      request_uri_parameter_supported: false,
      request_parameter_supported: false,
      id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'PS256'],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      end_session_endpoint: `${base}/oidc/logout`,
      pushed_authorization_request_endpoint: `${base}/oauth/par`,
    },
    client: {
      id: CLIENT_ID,
      secret: 'Zx1w-8fY3kT2mQ9pL6vR0sB4nH7cJ5dG2aE8uW1yI3oK6tV9xM0qN4rS7bF2hD5j',
      redirectUri: 'https://app.example.com/callback',
      logoutUri: 'https://app.example.com/',
      authMethods: ['client_secret_post', 'client_secret_basic'],
    },
    user: { sub: 'auth0|5f7c8ec7c33c6c004bbafe82', email: 'jane@example.com', name: 'Jane Doe', nickname: 'jane', picture: 'https://s.gravatar.com/avatar/1.png' },
    login: { scope: 'openid profile email offline_access read:contacts', audience: API },
    kids: { idToken: 'qFr8b3N6mXyoV9TTjhKXo', accessToken: 'qFr8b3N6mXyoV9TTjhKXo' },
    jwk: (k, kid) => ({ kty: k.kty, use: 'sig', n: k.n, e: k.e, kid, alg: 'RS256' }),
    idToken: ({ grant, now }) => ({
      header: { typ: 'JWT' },
      claims: {
        nickname: grant.user.nickname,
        name: grant.user.name,
        picture: grant.user.picture,
        updated_at: '2024-05-02T09:14:41.331Z',
        email: grant.user.email,
        email_verified: true,
        iss: issuer,
        aud: grant.clientId,
        sub: grant.user.sub,
        iat: now,
        exp: now + 36_000,
        sid: grant.sid,
        ...(grant.nonce !== undefined && { nonce: grant.nonce }),
      },
    }),
    accessToken: ({ grant, now }) => {
      const audience = grant.params.get('audience')
      // Without an audience Auth0 issues an encrypted token for /userinfo only.
      if (audience === null) return `eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..${randomText(16)}.${randomText(60)}.${randomText(22)}`
      return {
        header: { typ: 'at+jwt' },
        claims: {
          iss: issuer,
          sub: grant.user.sub,
          aud: [audience, `${issuer}userinfo`],
          iat: now,
          exp: now + 86_400,
          scope: grant.scope,
          azp: grant.clientId,
          // RBAC: every permission of the user, requested or not.
          permissions: [...scopes(grant.scope).filter((s) => s.includes(':')), 'delete:contacts'],
        },
      }
    },
    issuesRefreshToken: (grant) => scopes(grant.scope).includes('offline_access'),
    refreshToken: () => `v1.M${randomText(120)}`,
    rotation: 'rotate',
    tokenBody: ({ grant }, t) => ({
      access_token: t.access_token,
      ...(t.refresh_token !== undefined && { refresh_token: t.refresh_token }),
      ...(t.id_token !== undefined && { id_token: t.id_token }),
      scope: grant.scope,
      expires_in: 86_400,
      token_type: 'Bearer',
    }),
    extraFields: [],
    deadRefreshToken: { status: 403, body: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } },
    userinfo: ({ user }) => ({ sub: user.sub, nickname: user.nickname, name: user.name, picture: user.picture, updated_at: '2024-05-02T09:14:41.331Z', email: user.email, email_verified: true }),
    api: { audience: API, grantedScope: 'read:contacts' },
  }
}

export const AUTH0_TENANT = auth0('dev-abc123.us.auth0.com', 'Auth0 tenant')
export const AUTH0_CUSTOM_DOMAIN = auth0('login.example.com', 'Auth0 custom domain')
