// Google: shapes from https://accounts.google.com/.well-known/openid-configuration and Google
// Identity's "OpenID Connect" and "Using OAuth 2.0 for Web Server Applications" pages
// (access_type=offline, a refresh token on first consent only, opaque ya29 access tokens).
import { type Profile, atHash, randomText, scopes } from '../profile.js'

const ISSUER = 'https://accounts.google.com'
const CLIENT_ID = '407408718192-1fq6uk2q6n3b2lm5v8e0dbm0hi8kqj3j.apps.googleusercontent.com'
const GRANTED = 'https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid'

export const GOOGLE: Profile = {
  name: 'Google',
  issuer: ISSUER,
  config: { issuer: ISSUER },
  discoveryUrl: `${ISSUER}/.well-known/openid-configuration`,
  metadata: {
    issuer: ISSUER,
    authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
    token_endpoint: 'https://oauth2.googleapis.com/token',
    userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
    revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
    jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
    response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
    code_challenge_methods_supported: ['plain', 'S256'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
  },
  client: {
    id: CLIENT_ID,
    secret: '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',
    redirectUri: 'https://app.example.com/callback',
    logoutUri: 'https://app.example.com/',
    authMethods: ['client_secret_post', 'client_secret_basic'],
  },
  user: { sub: '110169484474386276334', email: 'jane@example.com', name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe', hd: 'example.com' },
  // Google has no offline_access scope: a refresh token comes with access_type=offline.
  login: { scope: 'openid profile email', extraParams: { access_type: 'offline' } },
  refuse: (params) =>
    scopes(params.get('scope') ?? '').includes('offline_access')
      ? 'Error 400: invalid_scope. Some requested scopes were invalid. {valid=[openid, https://www.googleapis.com/auth/userinfo.profile, https://www.googleapis.com/auth/userinfo.email], invalid=[offline_access]}'
      : undefined,
  callbackExtras: (grant) => ({ scope: GRANTED, authuser: '0', hd: 'example.com', prompt: grant.firstConsent ? 'consent' : 'none' }),
  kids: { idToken: 'a50f6e70ef4b548a5fd9142eecd1fb8f54dce9ee', accessToken: 'a50f6e70ef4b548a5fd9142eecd1fb8f54dce9ee' },
  jwk: (k, kid) => ({ e: k.e, kty: k.kty, alg: 'RS256', n: k.n, use: 'sig', kid }),
  idToken: async ({ grant, now }, accessToken) => ({
    header: { typ: 'JWT' },
    claims: {
      iss: ISSUER,
      azp: grant.clientId,
      aud: grant.clientId,
      sub: grant.user.sub,
      hd: grant.user.hd,
      email: grant.user.email,
      email_verified: true,
      at_hash: await atHash(accessToken),
      ...(grant.nonce !== undefined && { nonce: grant.nonce }),
      name: grant.user.name,
      given_name: grant.user.given_name,
      family_name: grant.user.family_name,
      iat: now,
      exp: now + 3600,
    },
  }),
  accessToken: () => `ya29.a0${randomText(160)}`,
  issuesRefreshToken: (grant) => grant.params.get('access_type') === 'offline' && (grant.firstConsent || (grant.params.get('prompt') ?? '').includes('consent')),
  refreshToken: () => `1//0g${randomText(98)}`,
  rotation: 'none',
  tokenBody: (_ctx, t) => ({
    access_token: t.access_token,
    expires_in: 3599,
    ...(t.refresh_token !== undefined && { refresh_token: t.refresh_token }),
    scope: GRANTED,
    token_type: 'Bearer',
    ...(t.id_token !== undefined && { id_token: t.id_token }),
  }),
  extraFields: [],
  deadRefreshToken: { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } },
  userinfo: ({ user }) => ({ sub: user.sub, name: user.name, given_name: user.given_name, family_name: user.family_name, email: user.email, email_verified: true, hd: user.hd }),
}
