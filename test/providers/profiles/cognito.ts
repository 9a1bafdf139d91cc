// Amazon Cognito user pool with a hosted UI domain. Shapes from the pool's
// /.well-known/openid-configuration (end_session_endpoint = the hosted UI's /logout since 2024),
// the Cognito developer guide ("Understanding the access token": no aud, client_id, token_use,
// scope, username, cognito:groups; "Understanding the ID token": aud = the app client id,
// token_use "id"; "Token endpoint": no new refresh token on refresh, a bare {"error":"invalid_grant"}).
import { type Profile, atHash, guid, randomText, scopes } from '../profile.js'

const REGION = 'eu-west-1'
export const COGNITO_POOL = `${REGION}_AbCdEfGhI`
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${COGNITO_POOL}`
const HOSTED_UI = `https://myapp.auth.${REGION}.amazoncognito.com`
const GROUPS = ['admins']

export const COGNITO: Profile = {
  name: 'Amazon Cognito',
  issuer: ISSUER,
  config: { issuer: ISSUER },
  discoveryUrl: `${ISSUER}/.well-known/openid-configuration`,
  metadata: {
    authorization_endpoint: `${HOSTED_UI}/oauth2/authorize`,
    end_session_endpoint: `${HOSTED_UI}/logout`,
    id_token_signing_alg_values_supported: ['RS256'],
    issuer: ISSUER,
    jwks_uri: `${ISSUER}/.well-known/jwks.json`,
    response_types_supported: ['code', 'token'],
    revocation_endpoint: `${HOSTED_UI}/oauth2/revoke`,
    scopes_supported: ['openid', 'email', 'phone', 'profile'],
    subject_types_supported: ['public'],
    token_endpoint: `${HOSTED_UI}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${HOSTED_UI}/oauth2/userInfo`,
  },
  client: {
    id: '6tk3f8q1p0b4r1q7lqv5n2m3kd',
    secret: '1q2w3e4r5t6y7u8i9o0pa1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6',
    redirectUri: 'https://app.example.com/callback',
    logoutUri: 'https://app.example.com/',
    authMethods: ['client_secret_basic', 'client_secret_post'],
  },
  user: { sub: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', email: 'jane@example.com', name: 'Jane Doe', username: 'jane' },
  // Cognito has no offline_access scope (a refresh token always comes with the code grant);
  // API scopes are "<resource server>/<scope>".
  login: { scope: 'openid profile email https://api.example.com/contacts.read' },
  refuse: (params) => (scopes(params.get('scope') ?? '').includes('offline_access') ? 'invalid_scope' : undefined),
  // Access and ID tokens are signed with different keys.
  kids: { idToken: 'Xb3zG4l0d6Fq8cT1vN9kP2rW5yJ7hS0mA3eU6iO9tR4=', accessToken: 'pL7yQ2vM5nB8xC1zK4jH7gF0dS3aT6wE9rY2uI5oP8k=' },
  jwk: (k, kid) => ({ alg: 'RS256', e: k.e, kid, kty: 'RSA', n: k.n, use: 'sig' }),
  idToken: async ({ grant, now, id }, accessToken) => ({
    header: {},
    claims: {
      at_hash: await atHash(accessToken),
      sub: grant.user.sub,
      'cognito:groups': GROUPS,
      email_verified: true,
      iss: ISSUER,
      'cognito:username': grant.user.username,
      ...(grant.nonce !== undefined && { nonce: grant.nonce }),
      origin_jti: grant.sid,
      aud: grant.clientId,
      event_id: id,
      token_use: 'id',
      auth_time: grant.authTime,
      exp: now + 3600,
      iat: now,
      jti: guid(),
      email: grant.user.email,
    },
  }),
  accessToken: ({ grant, now, id }) => ({
    header: {},
    claims: {
      sub: grant.user.sub,
      'cognito:groups': GROUPS,
      iss: ISSUER,
      version: 2,
      client_id: grant.clientId,
      origin_jti: grant.sid,
      event_id: id,
      token_use: 'access',
      scope: grant.scope,
      auth_time: grant.authTime,
      exp: now + 3600,
      iat: now,
      jti: guid(),
      username: grant.user.username,
    },
  }),
  issuesRefreshToken: () => true,
  refreshToken: () => `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomText(342)}.${randomText(16)}.${randomText(1200)}.${randomText(22)}`,
  rotation: 'none',
  tokenBody: (_ctx, t) => ({
    ...(t.id_token !== undefined && { id_token: t.id_token }),
    access_token: t.access_token,
    ...(t.refresh_token !== undefined && { refresh_token: t.refresh_token }),
    expires_in: 3600,
    token_type: 'Bearer',
  }),
  extraFields: [],
  deadRefreshToken: { status: 400, body: { error: 'invalid_grant' } },
  // Cognito's userInfo writes booleans as strings.
  userinfo: ({ user }) => ({ sub: user.sub, email_verified: 'true', email: user.email, username: user.username }),
}
