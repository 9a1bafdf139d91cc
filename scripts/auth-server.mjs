// An embedded authorization server shaped like an Auth0 tenant, on oidc-provider, for development and end-to-end tests.
//
//   import { startAuthServer } from './auth-server.mjs'
//   const server = await startAuthServer()          // http://127.0.0.1:<free port>/
//   const config = { issuer: server.issuer, allowInsecureRequests: true, ...server.clients.confidential }
//   // ... createAuthorizationRequest(config, { redirectUri, audience: server.apiAudience }) ...
//   await server.close()
//
// Or from the command line: `node scripts/auth-server.mjs [--port 4000]` prints the issuer, the
// clients and the test user, and stays up until Ctrl-C.
//
// What makes it look like Auth0 (and not like a stock oidc-provider):
// - Auth0's paths: /authorize, /oauth/token, /userinfo, /oauth/revoke, /.well-known/jwks.json,
//   /oauth/par, /oidc/logout (OIDC RP-initiated logout, in discovery) and /v2/logout (returnTo,
//   no ID token hint needed).
// - `audience=<API identifier>` on /authorize, /oauth/par and /oauth/token is read as the RFC 8707
//   `resource` indicator: the access token is then an RS256 JWT for that API (aud = [API,
//   <issuer>userinfo] when `openid` was asked for, scope, azp, Auth0 RBAC `permissions`).
//   Such a token is also accepted at /userinfo, as Auth0 does. Without an audience the access
//   token is opaque and good for /userinfo only.
// - `organization=<org_id or name>` on /authorize: the user must be a member; the ID token
//   (and the API access token) then carry `org_id` and `org_name`.
// - Consent is implied (first-party apps): no consent page; the login page is the only one.
// - Refresh tokens when the scope has offline_access, rotated on every use; reusing a rotated
//   one revokes the whole grant (family), as Auth0's refresh token rotation does.
// - The callback carries `iss` (RFC 9207), advertised in discovery.
// - A secret-bearing application may send its secret in the body or in a Basic header
//   (oidc-provider takes either for client_secret_post/basic); public ones must use PKCE.
// - A JWT access token cannot be revoked at /oauth/revoke (unsupported_token_type); refresh
//   tokens can, and revoking one ends its grant.
// - Security features as Auth0 offers them: PAR at /oauth/par, DPoP (RFC 9449; server nonces with
//   options.dpopNonces), a private_key_jwt application (options.privateKeyJwtClientJwks) and
//   OIDC Back-Channel Logout (options.backchannelLogoutUri).
// - oidc-provider 9 prints "Unsupported runtime" on Node 20 as it loads; it works there all the
//   same (the whole test suite runs it there), so that one line is kept out of the output.
//
// Everything lives in memory and is gone when it stops. For local development only.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'

const { default: Provider, errors } = await (async () => {
  const warn = console.warn
  console.warn = (...args) => {
    if (!/oidc-provider WARNING: Unsupported runtime/.test(String(args[0]))) warn(...args)
  }
  try {
    return await import('oidc-provider')
  } finally {
    console.warn = warn
  }
})()

/** The API registered with the server: its identifier is what `audience` names. */
export const API = Object.freeze({
  identifier: 'https://api.authcode.example',
  scopes: Object.freeze(['read:contacts', 'write:contacts']),
})

/**
 * The registered applications. Their fields spread straight into an authcode ClientConfig:
 * `{ issuer, allowInsecureRequests: true, ...CLIENTS.confidential }`. Local stand-in secrets:
 * they open nothing but this in-memory server.
 */
export const CLIENTS = Object.freeze({
  /** Regular web application, client_secret_post (Auth0's default for regular web apps). */
  confidential: Object.freeze({ clientId: 'authcode-demo-app', clientSecret: 'auth-server-post-secret-7d41c9a2e05b', clientAuth: 'client_secret_post' }),
  /** Regular web application, client_secret_basic. */
  basic: Object.freeze({ clientId: 'authcode-basic-app', clientSecret: 'auth-server-basic-secret-3be8f0d61c27', clientAuth: 'client_secret_basic' }),
  /** Single-page / native application: no secret, PKCE required. */
  public: Object.freeze({ clientId: 'authcode-spa', clientAuth: 'none' }),
})

/**
 * A regular web application that authenticates with a signed JWT (private_key_jwt, RFC 7523),
 * as Auth0's "Private Key JWT" credentials. Registered only when `options.privateKeyJwtClientJwks`
 * gives its public keys (the private key stays with the caller); then in `clients.privateKeyJwt`.
 */
export const PRIVATE_KEY_JWT_CLIENT = Object.freeze({ clientId: 'authcode-pkjwt-app', clientAuth: 'private_key_jwt' })

/** The test user. The login page shows the password. */
export const TEST_USER = Object.freeze({
  sub: 'auth0|64f0c0ffee0000000000jane',
  email: 'jane@example.com',
  password: 'correct-horse-battery',
  email_verified: true,
  name: 'Jane Doe',
  given_name: 'Jane',
  family_name: 'Doe',
  nickname: 'jane',
  picture: 'https://example.com/jane.png',
  updated_at: '2024-01-01T00:00:00.000Z',
  /** Auth0 RBAC: the API permissions assigned to the user. */
  permissions: Object.freeze(['read:contacts', 'write:contacts']),
  /** The organizations the user is a member of. */
  organizations: Object.freeze(['org_acme']),
})

/** The organizations of the tenant. Jane is a member of Acme only. */
export const ORGANIZATIONS = Object.freeze([
  Object.freeze({ id: 'org_acme', name: 'acme', display_name: 'Acme Corp' }),
  Object.freeze({ id: 'org_globex', name: 'globex', display_name: 'Globex' }),
])

/** Where the applications may send users back to, unless options.redirectUris says otherwise. */
export const DEFAULT_REDIRECT_URIS = Object.freeze(
  // The core functions' /callback and authcode/server's /auth/callback, on the usual dev ports.
  ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://localhost:5173', 'http://localhost:8787', 'https://app.example.com'].flatMap(
    (origin) => [`${origin}/callback`, `${origin}/auth/callback`],
  ),
)

const MAX_BODY_BYTES = 64 * 1024
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'nickname', 'picture', 'updated_at']
const EMAIL_CLAIMS = ['email', 'email_verified']

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', (chunk) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'))
        req.destroy()
      } else {
        chunks.push(chunk)
      }
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * A stand-in for `req` with another body: oidc-provider reads the body from the request stream,
 * so a rewritten form has to arrive as a stream too, with everything else of the original.
 */
function requestWithBody(req, body) {
  const stream = new Readable({ read() {} })
  stream.push(body)
  stream.push(null)
  const headers = { ...req.headers, 'content-length': String(body.length) }
  delete headers['transfer-encoding']
  return Object.assign(stream, {
    headers,
    rawHeaders: Object.entries(headers).flat(),
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
  })
}

/** Auth0's `audience` is RFC 8707's `resource` here. Returns the rewritten params, or undefined when nothing changed. */
function audienceToResource(params) {
  if (!params.has('audience')) return undefined
  const audience = params.get('audience')
  params.delete('audience')
  if (!params.has('resource') && audience) params.set('resource', audience)
  return params
}

/**
 * oidc-provider's storage, in memory, one store per server: codes, tokens, sessions, grants.
 * Revoking a grant removes every token issued under it (refresh token family revocation).
 */
function memoryAdapter() {
  const store = new Map() // "Model:id" -> { payload, expiresAt }
  const index = { uid: new Map(), userCode: new Map(), grant: new Map() }
  const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'])
  const read = (key) => {
    const entry = store.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= Date.now()) {
      store.delete(key)
      return undefined
    }
    return entry.payload
  }
  return (model) => {
    const keyOf = (id) => `${model}:${id}`
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id)
        store.set(key, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity })
        if (model === 'Session' && payload.uid) index.uid.set(payload.uid, id)
        if (payload.userCode) index.userCode.set(payload.userCode, id)
        if (grantable.has(model) && payload.grantId) {
          const members = index.grant.get(payload.grantId) ?? new Set()
          index.grant.set(payload.grantId, members.add(key))
        }
      },
      async find(id) {
        return read(keyOf(id))
      },
      async findByUid(uid) {
        const id = index.uid.get(uid)
        return id === undefined ? undefined : read(keyOf(id))
      },
      async findByUserCode(userCode) {
        const id = index.userCode.get(userCode)
        return id === undefined ? undefined : read(keyOf(id))
      },
      async consume(id) {
        const payload = read(keyOf(id))
        if (payload) payload.consumed = Math.floor(Date.now() / 1000)
      },
      async destroy(id) {
        store.delete(keyOf(id))
      },
      async revokeByGrantId(grantId) {
        for (const key of index.grant.get(grantId) ?? []) store.delete(key)
        index.grant.delete(grantId)
      },
    }
  }
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
  res.end(html)
}

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box;margin:.4rem 0}input,button{padding:.5rem}
.hint{background:#f4f4f4;padding:.6rem;border-radius:4px}.error{color:#b00020}</style></head>
<body>${body}</body></html>`
}

/** The Provider, or the listening server closed again when the configuration is refused. */
function createProvider(issuer, server, configuration) {
  try {
    return new Provider(issuer, configuration)
  } catch (err) {
    server.close()
    throw err
  }
}

/**
 * Starts the server on 127.0.0.1 (a free port by default).
 *
 * @param {object} [options]
 * @param {number} [options.port] default 0 (any free port)
 * @param {string} [options.host] default "127.0.0.1"
 * @param {string[]} [options.redirectUris] the applications' allowed callback URLs
 * @param {string[]} [options.postLogoutRedirectUris] allowed logout returnTo URLs (default: each redirect URI's origin + "/")
 * @param {{ id: string, name: string, display_name?: string }[]} [options.organizations]
 * @param {number} [options.accessTokenTtl] seconds, default 3600
 * @param {number} [options.refreshTokenTtl] seconds, default 30 days
 * @param {number} [options.idTokenTtl] seconds, default 3600
 * @param {{ keys: object[] }} [options.privateKeyJwtClientJwks] the public JWKS of the
 *   private_key_jwt application (PRIVATE_KEY_JWT_CLIENT), which is registered only when given
 * @param {string} [options.backchannelLogoutUri] an OIDC Back-Channel Logout URI for the
 *   confidential and private_key_jwt applications (session required: `sid` in ID and logout
 *   tokens). Outgoing requests may then reach loopback addresses (a local test server).
 * @param {boolean} [options.dpopNonces] require server-provided DPoP nonces (RFC 9449 §8) on
 *   every DPoP request: the first one is answered `use_dpop_nonce` with a `DPoP-Nonce` header
 */
export async function startAuthServer(options = {}) {
  const host = options.host ?? '127.0.0.1'
  const redirectUris = [...(options.redirectUris ?? DEFAULT_REDIRECT_URIS)]
  const postLogoutRedirectUris = [
    ...(options.postLogoutRedirectUris ?? new Set(redirectUris.map((uri) => `${new URL(uri).origin}/`))),
  ]
  const organizations = (options.organizations ?? ORGANIZATIONS).map((o) => ({ ...o }))
  const users = [{ ...TEST_USER, permissions: [...TEST_USER.permissions], organizations: [...TEST_USER.organizations] }]
  const accessTokenTtl = options.accessTokenTtl ?? 3600
  const refreshTokenTtl = options.refreshTokenTtl ?? 30 * 24 * 3600
  const idTokenTtl = options.idTokenTtl ?? 3600

  // Listen first: the issuer names the port.
  let handler = (_req, res) => {
    res.statusCode = 503
    res.end()
  }
  const server = createServer((req, res) => handler(req, res))
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address()
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const issuer = `${url}/`
  const userinfoAudience = `${issuer}userinfo`

  // One RS256 signing key, as an Auth0 tenant has.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = randomUUID()
  const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }
  const { d, p, q, dp, dq, qi, ...publicJwk } = signingJwk
  const localKeys = createLocalJWKSet({ keys: [publicJwk] })

  const findUser = (sub) => users.find((u) => u.sub === sub)
  const findOrganization = (value) => {
    if (typeof value !== 'string' || value === '') return undefined
    return value.startsWith('org_')
      ? organizations.find((o) => o.id === value)
      : organizations.find((o) => o.name === value.toLowerCase())
  }
  // Which organization each grant (and so each code, refresh token and access token of it) is for.
  const grantOrganizations = new Map()
  const organizationClaims = (grantId) => {
    const org = grantId === undefined ? undefined : grantOrganizations.get(grantId)
    return org ? { org_id: org.id, org_name: org.name } : {}
  }

  // oidc-provider drops offline_access unless prompt=consent (OpenID Connect Core 11); Auth0 does
  // not ask for that. Extra parameter validators run once per authorization request, after the
  // scope check: put offline_access back there when the request asked for it.
  // With PAR, the /authorize request carries only request_uri: what was asked is in the pushed request.
  const keepOfflineAccess = (ctx) => {
    const { oidc } = ctx
    const pushed = oidc.route === 'authorization' && 'PushedAuthorizationRequest' in oidc.entities
      ? oidc.entities.PushedAuthorizationRequest
      : undefined
    const asked = pushed !== undefined
      ? String(decodeJwt(pushed.request).scope ?? '').split(' ')
      : oidc.route === 'authorization' || oidc.route === 'pushed_authorization_request'
      ? String((ctx.method === 'POST' ? oidc.body?.scope : ctx.query.scope) ?? '').split(' ')
      : []
    const scopes = new Set(String(oidc.params.scope ?? '').split(' ').filter(Boolean))
    if (asked.includes('offline_access') && !scopes.has('offline_access') && String(oidc.params.response_type).split(' ').includes('code') && oidc.client.grantTypeAllowed('refresh_token')) {
      oidc.params.scope = [...scopes, 'offline_access'].join(' ')
    }
  }

  // OIDC Back-Channel Logout: where the provider POSTs logout tokens, when the caller asks for it.
  const backchannel = options.backchannelLogoutUri === undefined
    ? {}
    : { backchannel_logout_uri: options.backchannelLogoutUri, backchannel_logout_session_required: true }

  const clientMetadata = (c, extra) => ({
    client_id: c.clientId,
    ...(c.clientSecret !== undefined && { client_secret: c.clientSecret }),
    token_endpoint_auth_method: c.clientAuth,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    response_types: ['code'],
    ...extra,
  })

  const provider = createProvider(issuer, server, {
    clients: [
      clientMetadata(CLIENTS.confidential, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], ...backchannel }),
      clientMetadata(CLIENTS.basic, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] }),
      clientMetadata(CLIENTS.public, { grant_types: ['authorization_code', 'refresh_token'] }),
      ...(options.privateKeyJwtClientJwks === undefined
        ? []
        : [clientMetadata(PRIVATE_KEY_JWT_CLIENT, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], jwks: options.privateKeyJwtClientJwks, ...backchannel })]),
    ],
    adapter: memoryAdapter(),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      userinfo: '/userinfo',
      jwks: '/.well-known/jwks.json',
      revocation: '/oauth/revoke',
      end_session: '/oidc/logout',
      introspection: '/oauth/introspect',
      pushed_authorization_request: '/oauth/par',
    },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub', 'org_id', 'org_name'],
      profile: PROFILE_CLAIMS,
      email: EMAIL_CLAIMS,
      acr: null,
      sid: null,
      auth_time: null,
      iss: null,
    },
    // Auth0 puts the profile claims in the ID token even when an access token is issued.
    conformIdTokenClaims: false,
    extraParams: {
      // Auth0 organizations: an ID (org_…) or a name; unknown ones are refused.
      async organization(ctx, value) {
        keepOfflineAccess(ctx)
        if (value !== undefined && findOrganization(value) === undefined) {
          throw new errors.InvalidRequest(`parameter organization is invalid: no organization "${value}"`)
        }
      },
      // Auth0 parameters this server accepts and ignores.
      connection: null,
      screen_hint: null,
      invitation: null,
    },
    clientBasedCORS: () => true,
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    // oidc-provider refuses outgoing requests (back-channel logout) to loopback and private
    // addresses (SSRF protection); a local test server is exactly that, so allow it when asked.
    ...(options.backchannelLogoutUri !== undefined && {
      fetch: (url, { dispatcher: _dispatcher, ...init }) => globalThis.fetch(url, init),
    }),
    features: {
      devInteractions: { enabled: false },
      // RFC 9449: DPoP-bound access and refresh tokens (cnf.jkt) when the client sends proofs.
      dPoP: {
        enabled: true,
        ...(options.dpopNonces === true && { nonceSecret: randomBytes(32), requireNonce: () => true }),
      },
      // RFC 9126 at Auth0's path (/oauth/par, see routes); a plain /authorize still works.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      // OpenID Connect Back-Channel Logout 1.0, for clients registered with a backchannel_logout_uri.
      backchannelLogout: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        // An application may revoke its own tokens only.
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true
          if (client.clientAuthMethod === 'none') return false
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token')
        },
      },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Auth0 logs out without asking: the confirmation form submits itself.
        async logoutSource(ctx, form) {
          ctx.body = page('Logging out', `${form}<input type="hidden" name="logout" value="yes" form="op.logoutForm">
<p>Logging you out…</p><button type="submit" form="op.logoutForm">Log out</button>
<script>document.getElementById('op.logoutForm').submit()</script>`)
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Logged out', '<h1>You are logged out.</h1>')
        },
      },
      resourceIndicators: {
        enabled: true,
        // The audience of the authorization request is the one of the code and refresh grants.
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, resourceIndicator) {
          if (resourceIndicator !== API.identifier) {
            throw new errors.InvalidTarget(`Service not found: ${resourceIndicator}`)
          }
          return {
            scope: API.scopes.join(' '),
            audience: API.identifier,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          }
        },
      },
    },
    formats: {
      customizers: {
        // Shape the API access token like Auth0's.
        async jwt(ctx, token, jwt) {
          const claims = jwt.payload
          claims.azp = token.clientId
          const scopes = new Set(String(claims.scope ?? '').split(' ').filter(Boolean))
          if (token.kind === 'ClientCredentials') {
            // Auth0 M2M: no scope asked for means every scope the application is authorized for.
            if (scopes.size === 0) for (const scope of API.scopes) scopes.add(scope)
            claims.sub = `${token.clientId}@clients`
            claims.gty = 'client-credentials'
            claims.scope = [...scopes].join(' ')
            claims.permissions = [...scopes]
            token.scope = claims.scope
            return
          }
          const user = findUser(token.accountId)
          // Auth0 RBAC with "Add Permissions in the Access Token".
          claims.permissions = (user?.permissions ?? []).filter((p) => API.scopes.includes(p))
          Object.assign(claims, organizationClaims(token.grantId))
          if (token.grantId !== undefined) {
            // Auth0 lists the OIDC scopes of the request in the access token too (a refresh may
            // narrow them), and makes the token good for /userinfo.
            const { params, entities } = ctx.oidc
            const source = entities.AuthorizationCode ?? entities.RefreshToken
            const requested = new Set(String(params.scope ?? source?.scope ?? '').split(' '))
            const grant = await provider.Grant.find(token.grantId)
            const oidcScopes = grant?.getOIDCScope().split(' ').filter((scope) => requested.has(scope)) ?? []
            if (oidcScopes.includes('openid')) {
              claims.aud = [claims.aud, userinfoAudience].flat()
              claims.scope = [...new Set([...oidcScopes, ...scopes])].join(' ')
              // ...and the token response's scope follows (oidc-provider reads it from the token after this).
              token.scope = claims.scope
            }
          }
        },
      },
    },
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      IdToken: idTokenTtl,
      RefreshToken: refreshTokenTtl,
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: refreshTokenTtl,
    },
    issueRefreshToken: async (_ctx, client, source) => client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access'),
    rotateRefreshToken: true,
    // First-party applications: whatever an authorization request asks for is granted, so
    // there is never a consent prompt. A login for another organization gets its own grant.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx
      const user = findUser(oidc.account.accountId)
      const organization = findOrganization(oidc.params.organization)
      if (organization !== undefined && !user?.organizations.includes(organization.id)) {
        throw new errors.AccessDenied(`the user is not a member of the organization "${organization.name}"`)
      }
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId)
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined
      if (grant !== undefined && grantOrganizations.get(grant.jti) !== organization) grant = undefined
      grant ??= new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.account.accountId })
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '))
      const claims = [...oidc.requestParamClaims]
      if (claims.length > 0) grant.addOIDCClaims(claims)
      for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers)) {
        grant.addResourceScope(indicator, [...oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s)).join(' '))
      }
      await grant.save()
      grantOrganizations.set(grant.jti, organization)
      return grant
    },
    async findAccount(_ctx, sub, token) {
      const user = findUser(sub)
      if (user === undefined) return undefined
      return {
        accountId: user.sub,
        async claims() {
          const { password, permissions, organizations: _orgs, ...profile } = user
          return { ...profile, ...organizationClaims(token?.grantId) }
        },
      }
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async renderError(ctx, out) {
      ctx.type = 'html'
      ctx.body = page('Error', `<h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`)
    },
  })

  // Logs a rejected request's reason on the server side when options.debug is set.
  if (options.debug) {
    for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'revocation.error', 'end_session.error']) {
      provider.on(event, (_ctx, err) => console.error(`[auth-server] ${event}: ${err.error ?? ''} ${err.error_description ?? err.message}`))
    }
  }

  // --- the login page (the provider's own dev interactions are off)
  function loginPage(uid, details, message) {
    const { client_id: clientId, organization } = details.params
    const orgName = findOrganization(organization)?.display_name
    return page('Log in', `<h1>Log in</h1>
<p>to continue to <b>${escapeHtml(clientId)}</b>${orgName ? ` (organization <b>${escapeHtml(orgName)}</b>)` : ''}.</p>
${message ? `<p class="error">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label>Email <input type="email" name="email" required autofocus value="${escapeHtml(details.params.login_hint ?? '')}"></label>
  <label>Password <input type="password" name="password" required></label>
  <button type="submit">Continue</button>
</form>
<p class="hint">Test user: <code>${escapeHtml(TEST_USER.email)}</code>, password <code>${escapeHtml(TEST_USER.password)}</code></p>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>`)
  }

  async function interaction(req, res, pathname) {
    const [, , uid, action] = pathname.split('/')
    let details
    try {
      details = await provider.interactionDetails(req, res)
    } catch {
      return sendHtml(res, 400, page('Error', '<h1>This login has expired</h1><p>Start again from the application.</p>'))
    }
    if (details.uid !== uid) return sendHtml(res, 400, page('Error', '<h1>Unknown login</h1>'))
    const { prompt } = details

    if (action === 'abort' && req.method === 'GET') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false })
    }
    if (prompt.name === 'consent') {
      // Not reached with loadExistingGrant above, but never show a consent page: grant what is missing.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id })
      const missing = prompt.details
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '))
      return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true })
    }
    if (action === undefined && req.method === 'GET') return sendHtml(res, 200, loginPage(uid, details))
    if (action === 'login' && req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'))
      const email = (form.get('email') ?? '').trim().toLowerCase()
      const user = users.find((u) => u.email === email && u.password === form.get('password'))
      if (user === undefined) return sendHtml(res, 401, loginPage(uid, details, 'Wrong email or password.'))
      return provider.interactionFinished(req, res, { login: { accountId: user.sub, amr: ['pwd'] } }, { mergeWithLastSubmission: false })
    }
    return sendHtml(res, 405, page('Error', '<h1>Method not allowed</h1>'))
  }

  // Auth0 accepts an API access token at /userinfo when the login asked for openid (its aud
  // lists <issuer>userinfo); oidc-provider takes only audience-less (opaque) ones.
  async function jwtUserinfo(req, res, token) {
    // Browsers (SPAs) call /userinfo cross-origin, as the provider's own route allows.
    const cors = req.headers.origin ? { 'access-control-allow-origin': req.headers.origin, 'access-control-expose-headers': 'WWW-Authenticate', vary: 'Origin' } : {}
    const invalid = (description) =>
      sendJson(res, 401, { error: 'invalid_token', error_description: description }, {
        ...cors,
        'www-authenticate': `Bearer realm="${issuer}", error="invalid_token", error_description="${description}"`,
      })
    let claims
    try {
      ;({ payload: claims } = await jwtVerify(token, localKeys, { issuer, audience: userinfoAudience, algorithms: ['RS256'], typ: 'at+jwt' }))
    } catch {
      return invalid('invalid access token')
    }
    // A JWT access token is self-contained (oidc-provider does not even store it): as at Auth0, it
    // stays good until it expires, whatever happens to the refresh token or the session.
    const user = findUser(claims.sub)
    if (user === undefined) return invalid('user not found')
    const scopes = new Set(String(claims.scope ?? '').split(' '))
    const info = { sub: user.sub }
    for (const [scope, names] of [['profile', PROFILE_CLAIMS], ['email', EMAIL_CLAIMS]]) {
      if (scopes.has(scope)) for (const name of names) if (user[name] !== undefined) info[name] = user[name]
    }
    if (typeof claims.org_id === 'string') Object.assign(info, { org_id: claims.org_id, org_name: claims.org_name })
    return sendJson(res, 200, info, cors)
  }

  const providerCallback = provider.callback()
  async function handle(req, res) {
    const requestUrl = new URL(req.url ?? '/', issuer)
    const { pathname } = requestUrl

    if (pathname.startsWith('/interaction/')) return interaction(req, res, pathname)

    // Auth0's /v2/logout: client_id + returnTo, ends the session without an ID token hint.
    if (pathname === '/v2/logout' && (req.method === 'GET' || req.method === 'HEAD')) {
      const q = requestUrl.searchParams
      const returnTo = q.get('returnTo')
      const params = new URLSearchParams()
      if (q.get('client_id')) params.set('client_id', q.get('client_id'))
      if (returnTo) params.set('post_logout_redirect_uri', returnTo)
      req.url = `/oidc/logout${params.size > 0 ? `?${params}` : ''}`
      return providerCallback(req, res)
    }

    if (pathname === '/authorize' && requestUrl.searchParams.has('audience')) {
      req.url = `${pathname}?${audienceToResource(requestUrl.searchParams)}`
    }

    if ((pathname === '/authorize' || pathname === '/oauth/token' || pathname === '/oauth/par') && req.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      const body = await readBody(req)
      const form = audienceToResource(new URLSearchParams(body.toString('utf8')))
      return providerCallback(requestWithBody(req, form === undefined ? body : Buffer.from(form.toString())), res)
    }

    if (pathname === '/userinfo') {
      const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.headers.authorization ?? '')
      if (match && match[1].split('.').length === 3) return jwtUserinfo(req, res, match[1])
    }

    return providerCallback(req, res)
  }
  handler = (req, res) => {
    handle(req, res).catch((err) => {
      if (options.debug) console.error('[auth-server]', err)
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: 'the auth server failed' })
      else res.destroy()
    })
  }

  let closed
  return {
    issuer,
    port,
    url,
    apiAudience: API.identifier,
    apiScopes: [...API.scopes],
    clients: {
      confidential: { ...CLIENTS.confidential },
      basic: { ...CLIENTS.basic },
      public: { ...CLIENTS.public },
      ...(options.privateKeyJwtClientJwks !== undefined && { privateKeyJwt: { ...PRIVATE_KEY_JWT_CLIENT } }),
    },
    users: users.map(({ permissions, organizations: orgs, ...u }) => ({ ...u, permissions: [...permissions], organizations: [...orgs] })),
    organizations: organizations.map((o) => ({ ...o })),
    redirectUris: [...redirectUris],
    postLogoutRedirectUris: [...postLogoutRedirectUris],
    provider,
    close() {
      closed ??= new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      })
      return closed
    },
  }
}

// `node scripts/auth-server.mjs [--port 4000] [--debug]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const portAt = args.indexOf('--port')
  const port = portAt === -1 ? Number(process.env.PORT ?? 0) : Number(args[portAt + 1])
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: node scripts/auth-server.mjs [--port <0-65535>] [--debug]')
    process.exit(2)
  }
  const s = await startAuthServer({ port, debug: args.includes('--debug') })
  const lines = [
    `Auth0-compatible authorization server (oidc-provider), for local development only`,
    ``,
    `  issuer       ${s.issuer}`,
    `  discovery    ${s.issuer}.well-known/openid-configuration`,
    `  API audience ${s.apiAudience}  (scopes ${s.apiScopes.join(', ')})`,
    ``,
    `  clients:`,
    ...Object.entries(s.clients).map(
      ([kind, c]) => `    ${kind.padEnd(13)}${c.clientId.padEnd(20)}${c.clientAuth.padEnd(21)}${c.clientSecret ? `secret ${c.clientSecret}` : '(PKCE required)'}`,
    ),
    `  redirect URIs ${s.redirectUris.join(' ')}`,
    ``,
    `  test user    ${TEST_USER.email} / ${TEST_USER.password}   (member of ${TEST_USER.organizations.join(', ')})`,
    `  organizations ${s.organizations.map((o) => `${o.id} (${o.name})`).join(', ')}`,
    ``,
    `  authcode config: { issuer: '${s.issuer}', allowInsecureRequests: true, clientId: '${s.clients.confidential.clientId}', clientSecret: '…' }`,
    `Ctrl-C to stop.`,
  ]
  console.log(lines.join('\n'))
  const stop = () => s.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
