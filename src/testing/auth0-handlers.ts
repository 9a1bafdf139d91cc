// authcode/testing: msw handlers that act as an Auth0 tenant — /authorize (as a helper and a
// route), /oauth/token (code, refresh with rotation, client credentials), /userinfo,
// /oauth/revoke, JWKS, discovery and logout — with switches to make it fail.
import { http, type RequestHandler } from 'msw'
import { type JWTPayload, jwtVerify } from 'jose'
import type { TestTenant } from './index.js'
import {
  type ClientAuthMethod,
  type PresentedClientAuth,
  bearerError,
  htmlError,
  oauthError,
  pkceMatches,
  presentedClientAuth,
  randomToken,
  readBody,
  scopeList,
  statusFor,
  tokenJson,
  wait,
} from './wire.js'

/**
 * The user a simulated login signs in as: `sub` and profile claims, plus any custom claims
 * (Auth0 Actions add namespaced ones such as `"https://example.com/roles"`). Standard profile
 * and email claims reach the ID token and `/userinfo` only when the scope asks for them
 * (`profile`, `email`); custom claims always do.
 *
 * @example
 * ```ts
 * const jane: Partial<TestUser> = { sub: 'auth0|jane', name: 'Jane Doe', email: 'jane@example.com', 'https://example.com/roles': ['admin'] }
 * const callback = await auth0.authorize(url, { user: jane })
 * ```
 */
export interface TestUser {
  /** Default `"auth0|test-user"`. */
  sub: string
  name?: string
  nickname?: string
  picture?: string
  email?: string
  email_verified?: boolean
  updated_at?: string
  [claim: string]: unknown
}

/**
 * Options of {@link createAuth0Handlers}: how the stand-in tenant's application and API are set up.
 *
 * @example
 * ```ts
 * const auth0 = createAuth0Handlers(tenant, {
 *   clientSecret: 'test-secret',
 *   audience: 'https://api.example.com',
 *   accessTokenTtl: 600,
 *   refreshTokenRotation: true,
 * })
 * ```
 */
export interface Auth0HandlersOptions {
  /**
   * The application's client secret. When given, the token and revocation endpoints require
   * it (`client_secret_post` or `client_secret_basic`) and answer `401 invalid_client`
   * otherwise. When omitted, any secret, or none (a public client using PKCE), is accepted.
   */
  clientSecret?: string
  /**
   * The public key of a client that authenticates with `private_key_jwt`; its
   * `client_assertion` is then verified. When omitted (and no `clientSecret` is set), an
   * assertion is accepted unverified.
   */
  clientPublicKey?: CryptoKey
  /** The tenant's default audience (Auth0: Settings > API Authorization Settings). */
  audience?: string
  /** Access token lifetime, seconds (`expires_in`). Default 86 400, as Auth0. */
  accessTokenTtl?: number
  /** ID token lifetime, seconds. Default 36 000, as Auth0. */
  idTokenTtl?: number
  /**
   * Refresh token rotation. Default true: each refresh answers a new refresh token, and reuse
   * of one that was rotated away answers `403 invalid_grant` and revokes the whole family.
   * False: refreshes answer no `refresh_token` and the one sent keeps working.
   */
  refreshTokenRotation?: boolean
  /**
   * Auth0's rotation "Reuse Interval", seconds: for this long after a refresh token was
   * rotated away it may be used again (answering new tokens) without counting as reuse.
   * Default 0, as Auth0.
   */
  reuseIntervalSeconds?: number
  /** Allowed Callback URLs. When given, `authorize()` refuses any other `redirect_uri`. */
  callbackUrls?: string[]
  /** Claims of the user every login signs in as, over the default test user. */
  user?: Partial<TestUser>
}

/**
 * What a simulated login does, for {@link Auth0Handlers.authorize}.
 *
 * @example
 * ```ts
 * await auth0.authorize(url, { user: { name: 'Jane' }, accessTokenClaims: { permissions: ['read:contacts'] } })
 * await auth0.authorize(url, { error: 'access_denied', errorDescription: 'User did not consent' })
 * ```
 */
export interface TestLoginOptions {
  /** Who logs in; merged over the handlers' `user` and the default test user. */
  user?: Partial<TestUser>
  /** Send the user back with `error=…` (e.g. `access_denied`, `login_required`) and no code. */
  error?: string
  /** The `error_description` to go with `error`. */
  errorDescription?: string
  /** Claims set on the ID tokens of this login, over everything else (e.g. a wrong `nonce`, to test rejection). */
  idTokenClaims?: JWTPayload
  /** Claims set on the access tokens of this login (e.g. Auth0 RBAC `permissions`). */
  accessTokenClaims?: JWTPayload
}

/**
 * A grant type of the token endpoint, to scope a {@link FailOptions | failure} to.
 *
 * @example
 * ```ts
 * const grant: GrantType = 'refresh_token'
 * auth0.fail('invalid_grant', { grant })
 * ```
 */
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials'

/**
 * An endpoint of the stand-in tenant, to scope a {@link FailOptions | failure} to.
 *
 * @example
 * ```ts
 * const endpoint: Auth0Endpoint = 'userinfo'
 * auth0.fail({ status: 500 }, { endpoint })
 * ```
 */
export type Auth0Endpoint = 'token' | 'userinfo' | 'revoke' | 'jwks' | 'discovery'

/**
 * Which requests a failure applies to, and how many times.
 *
 * @example
 * ```ts
 * auth0.fail({ status: 429, retryAfter: 2 }, { times: 1, grant: 'refresh_token' })
 * ```
 */
export interface FailOptions {
  /** Fail this many matching requests, then answer normally again. Default: until `reset()` or the returned undo. */
  times?: number
  /** Only token-endpoint requests of this grant type. */
  grant?: GrantType
  /** The endpoint to fail. Default `"token"`. */
  endpoint?: Auth0Endpoint
}

/**
 * What {@link Auth0Handlers.fail} makes the tenant answer:
 * - an OAuth error code (`'invalid_grant'`, `'invalid_client'`, `'access_denied'`, …): JSON
 *   `{ error, error_description }` with Auth0's status for it (403 for refused grants, 401
 *   for `invalid_client`, 400 for `invalid_request`);
 * - `{ error, errorDescription?, status? }`: the same with your own description or status;
 * - `{ status: 429, retryAfter? }`: Auth0's rate limit, JSON `too_many_requests` with
 *   `Retry-After` and `X-RateLimit-*` headers;
 * - `{ status: 500 }` (or any other status): an HTML error page, as a proxy in front answers;
 * - `{ delayMs }`: the normal answer, `delayMs` late (combine it with any of the above).
 *
 * Each object form also takes the {@link FailOptions} fields.
 *
 * @example
 * ```ts
 * auth0.fail('invalid_grant')
 * auth0.fail({ status: 429, retryAfter: 30 })
 * auth0.fail({ status: 500, times: 1 })
 * auth0.fail({ delayMs: 2_000, grant: 'refresh_token' })
 * ```
 */
export type Auth0Failure =
  | 'invalid_grant'
  | 'invalid_client'
  | 'access_denied'
  | 'unauthorized_client'
  | 'invalid_request'
  | 'invalid_scope'
  | (string & {})
  | ({ error: string; errorDescription?: string; status?: number; delayMs?: number } & FailOptions)
  | ({ status: number; retryAfter?: number; delayMs?: number } & FailOptions)
  | ({ delayMs: number } & FailOptions)

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
  headers: Headers
  /** The client ID, from the body or the Basic header. */
  clientId: string | undefined
  /** How the client authenticated. */
  clientAuth: ClientAuthMethod
  /** The HTTP status answered (0 until the answer is ready). */
  status: number
}

/**
 * What became of a refresh token, for {@link Auth0Handlers.refreshTokenStatus}.
 *
 * @example
 * ```ts
 * const status: RefreshTokenStatus = auth0.refreshTokenStatus(tokens.refreshToken!) // "active"
 * ```
 */
export type RefreshTokenStatus = 'active' | 'rotated' | 'revoked' | 'unknown'

/**
 * A stand-in Auth0 tenant made by {@link createAuth0Handlers}.
 *
 * @example
 * ```ts
 * const auth0: Auth0Handlers = createAuth0Handlers(tenant, { clientSecret })
 * server.use(...auth0.handlers)
 * const callback = await auth0.authorize(url)
 * ```
 */
export interface Auth0Handlers {
  /** The msw handlers: give them to `setupServer(...)`, `setupWorker(...)` or `server.use(...)`. */
  readonly handlers: RequestHandler[]
  /**
   * Logs a user in at `/authorize` the way Auth0 would after the login page, and returns the
   * callback URL Auth0 would redirect to: `redirect_uri` with `code`, `state` and `iss` (or
   * `error`, `error_description`, `state` and `iss`). The code remembers the request's
   * client_id, redirect_uri, code_challenge, nonce, scope, audience and organization.
   * Throws (as Auth0 shows an error page instead of redirecting) for another tenant's URL, an
   * unknown client_id or a redirect_uri that is missing or not allowed.
   */
  authorize(authorizeUrl: URL | string, p?: TestLoginOptions): Promise<URL>
  /**
   * Makes the tenant fail (see {@link Auth0Failure}) until `reset()`, for `times` requests,
   * or until the returned function is called. Failures apply in the order they were added;
   * the first that matches a request answers it.
   */
  fail(kind: Auth0Failure, options?: FailOptions): () => void
  /** Every token-endpoint request so far (cleared by `reset()`). */
  readonly requests: RecordedTokenRequest[]
  /** Whether a refresh token works, was rotated away, was revoked, or was never issued. */
  refreshTokenStatus(refreshToken: string): RefreshTokenStatus
  /** Forgets codes, tokens, failures and requests; call it between tests. */
  reset(): void
}

interface Grant {
  clientId: string
  user: TestUser
  scope: string[]
  audience: string | undefined
  org: { org_id?: string; org_name?: string }
  authTime: number
  sid: string
  idTokenClaims: JWTPayload
  accessTokenClaims: JWTPayload
}

interface CodeRecord extends Grant {
  redirectUri: string
  codeChallenge: string | undefined
  codeChallengeMethod: string
  nonce: string | undefined
  used: boolean
  families: Family[]
}

interface Family extends Grant {
  revoked: boolean
}

interface AccessTokenRecord {
  user: TestUser | undefined
  scope: string[]
  exp: number
}

interface Failure {
  kind: Auth0Failure
  endpoint: Auth0Endpoint
  grant: GrantType | undefined
  remaining: number
}

const DEFAULT_USER: TestUser = {
  sub: 'auth0|test-user',
  name: 'Test User',
  nickname: 'test.user',
  picture: 'https://s.gravatar.com/avatar/test-user.png',
  email: 'test.user@example.com',
  email_verified: true,
  updated_at: '2024-01-01T00:00:00.000Z',
}

const PROFILE_CLAIMS = new Set([
  'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
  'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
])
const SCOPED_CLAIMS: Record<string, string> = {
  email: 'email',
  email_verified: 'email',
  address: 'address',
  phone_number: 'phone',
  phone_number_verified: 'phone',
}

/** The user's claims that the scope lets through: sub, scoped standard claims, custom claims. */
function profileClaims(user: TestUser, scope: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { sub: user.sub }
  for (const [name, value] of Object.entries(user)) {
    if (name === 'sub' || value === undefined) continue
    const needs = PROFILE_CLAIMS.has(name) ? 'profile' : SCOPED_CLAIMS[name]
    if (needs === undefined || scope.includes(needs)) out[name] = value
  }
  return out
}

const GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials']

function isGrantType(value: string | undefined): value is GrantType {
  return value !== undefined && GRANT_TYPES.includes(value)
}

function checkCount(value: unknown, field: string, min: number): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min)) {
    throw new TypeError(`fail(): "${field}" must be a whole number, ${min} or more`)
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/**
 * Makes msw handlers that act as an Auth0 tenant for `tenant` (from {@link createTestTenant}):
 * discovery and JWKS; `/authorize`; `/oauth/token` for the authorization code grant (client
 * authentication, single-use codes, `redirect_uri` match, PKCE), the refresh token grant
 * (rotation and reuse detection) and client credentials; `/userinfo`; `/oauth/revoke`; and
 * `/v2/logout`. Tokens are real JWTs signed with the tenant's key, shaped as Auth0 shapes
 * them; errors are Auth0's JSON with Auth0's statuses. `fail()` makes it misbehave.
 *
 * Uses `http` from `msw` (an optional peer dependency of authcode: install `msw` to use it).
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
 * import { createAuthorizationRequest, exchangeCode, validateCallback } from 'authcode'
 * import { createAuth0Handlers, createTestTenant } from 'authcode/testing'
 *
 * const tenant = await createTestTenant({ domain: 'my-tenant.auth0.example', clientId: 'my-app' })
 * const auth0 = createAuth0Handlers(tenant, { clientSecret: 'shh' })
 * const server = setupServer(...auth0.handlers)
 * beforeAll(() => server.listen())
 * afterEach(() => auth0.reset())
 * afterAll(() => server.close())
 *
 * test('a user logs in', async () => {
 *   const config = { domain: tenant.domain, clientId: tenant.clientId, clientSecret: 'shh' }
 *   const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: 'https://app.example.com/callback' })
 *   const { code } = validateCallback(await auth0.authorize(url, { user: { name: 'Jane' } }), transaction)
 *   expect((await exchangeCode(config, { code, ...transaction })).claims?.name).toBe('Jane')
 * })
 * ```
 */
export function createAuth0Handlers(tenant: TestTenant, options: Auth0HandlersOptions = {}): Auth0Handlers {
  const base = tenant.issuer.endsWith('/') ? tenant.issuer : `${tenant.issuer}/`
  const endpoint = (path: string) => new URL(path, base).href
  const urls = {
    authorize: endpoint('authorize'),
    token: endpoint('oauth/token'),
    userinfo: endpoint('userinfo'),
    revoke: endpoint('oauth/revoke'),
    jwks: endpoint('.well-known/jwks.json'),
    discovery: endpoint('.well-known/openid-configuration'),
    logout: endpoint('v2/logout'),
    oidcLogout: endpoint('oidc/logout'),
  }
  const accessTokenTtl = options.accessTokenTtl ?? 86_400
  const idTokenTtl = options.idTokenTtl ?? 36_000
  const rotation = options.refreshTokenRotation ?? true
  const reuseInterval = options.reuseIntervalSeconds ?? 0
  for (const [name, value] of [['accessTokenTtl', accessTokenTtl], ['idTokenTtl', idTokenTtl]] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new TypeError(`createAuth0Handlers(): "${name}" must be a whole number of seconds above 0`)
  }
  if (typeof reuseInterval !== 'number' || !(reuseInterval >= 0)) throw new TypeError('createAuth0Handlers(): "reuseIntervalSeconds" must be 0 or more')

  const codes = new Map<string, CodeRecord>()
  const refreshTokens = new Map<string, { family: Family; rotated: boolean; rotatedAt: number }>()
  const accessTokens = new Map<string, AccessTokenRecord>()
  let failures: Failure[] = []
  const requests: RecordedTokenRequest[] = []

  // --- failures

  function takeFailure(where: Auth0Endpoint, grant: string | undefined): Failure | undefined {
    for (const f of failures) {
      if (f.remaining <= 0 || f.endpoint !== where) continue
      if (f.grant !== undefined && f.grant !== grant) continue
      f.remaining--
      return f
    }
    return undefined
  }

  function failureResponse(kind: Auth0Failure, grant: string | undefined): Response | undefined {
    if (typeof kind === 'string') return oauthError(kind, describeError(kind, grant))
    if ('error' in kind) return oauthError(kind.error, kind.errorDescription ?? describeError(kind.error, grant), kind.status ?? statusFor(kind.error))
    if ('status' in kind) {
      const headers: Record<string, string> = {}
      if (kind.retryAfter !== undefined) headers['retry-after'] = String(kind.retryAfter)
      if (kind.status === 429) {
        const reset = nowSeconds() + (kind.retryAfter ?? 1)
        Object.assign(headers, { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })
        return oauthError('too_many_requests', 'Global limit has been reached', 429, headers)
      }
      return htmlError(kind.status, headers)
    }
    return undefined
  }

  // Answers with a failure when one matches; else with `normal()`; late when the failure says so.
  async function withFailures(where: Auth0Endpoint, grant: string | undefined, signal: AbortSignal, normal: () => Promise<Response>, record?: RecordedTokenRequest): Promise<Response> {
    const failure = takeFailure(where, grant)
    const response = (failure && failureResponse(failure.kind, grant)) ?? (await normal())
    if (record) record.status = response.status
    if (failure && typeof failure.kind === 'object' && failure.kind.delayMs !== undefined) await wait(failure.kind.delayMs, signal)
    return response
  }

  function describeError(error: string, grant: string | undefined): string {
    switch (error) {
      case 'invalid_grant':
        return grant === 'refresh_token' ? 'Unknown or invalid refresh token.' : grant === 'authorization_code' ? 'Invalid authorization code' : 'Invalid grant'
      case 'invalid_client':
        return 'Client authentication failed'
      case 'access_denied':
        return 'Unauthorized'
      case 'unauthorized_client':
        return `Grant type '${grant ?? 'unknown'}' not allowed for the client.`
      default:
        return `Simulated ${error}`
    }
  }

  // --- client authentication

  async function authenticate(auth: PresentedClientAuth): Promise<Response | undefined> {
    if (auth.problem !== undefined) return oauthError('invalid_request', auth.problem)
    if (auth.clientId === undefined) return oauthError('invalid_request', 'Missing required parameter: client_id')
    if (auth.clientId !== tenant.clientId) return oauthError('invalid_client', `Unknown client: ${auth.clientId}`)
    const needsAuth = options.clientSecret !== undefined || options.clientPublicKey !== undefined
    if (auth.method === 'none') {
      return needsAuth
        ? oauthError('invalid_client', 'Client authentication is required: send client_secret (client_secret_post) or an Authorization: Basic header')
        : undefined
    }
    if (auth.method === 'private_key_jwt') {
      if (options.clientPublicKey === undefined) {
        return needsAuth ? oauthError('invalid_client', 'This client does not authenticate with private_key_jwt') : undefined
      }
      try {
        await jwtVerify(auth.assertion ?? '', options.clientPublicKey, {
          issuer: tenant.clientId,
          subject: tenant.clientId,
          audience: [base, tenant.issuer, urls.token],
        })
        return undefined
      } catch {
        return oauthError('invalid_client', 'Invalid client_assertion')
      }
    }
    if (options.clientSecret === undefined) {
      return needsAuth ? oauthError('invalid_client', 'This client authenticates with private_key_jwt') : undefined
    }
    if (auth.secret !== options.clientSecret) return oauthError('invalid_client', 'Client authentication failed: wrong client secret')
    return undefined
  }

  // --- token issuance

  async function issue(grant: Grant, p: { scope: string[]; nonce?: string | undefined; refreshToken?: string | undefined }): Promise<Response> {
    const now = nowSeconds()
    const scope = p.scope.join(' ')
    const openid = p.scope.includes('openid')
    let accessToken: string
    if (grant.audience !== undefined) {
      accessToken = await tenant.signAccessToken({
        sub: grant.user.sub,
        aud: openid ? [grant.audience, urls.userinfo] : grant.audience,
        iat: now,
        exp: now + accessTokenTtl,
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
    accessTokens.set(accessToken, { user: grant.user, scope: p.scope, exp: now + accessTokenTtl })
    const body: Record<string, unknown> = { access_token: accessToken }
    if (openid) {
      body.id_token = await tenant.signIdToken({
        ...profileClaims(grant.user, p.scope),
        aud: grant.clientId,
        iat: now,
        exp: now + idTokenTtl,
        auth_time: grant.authTime,
        sid: grant.sid,
        ...(p.nonce !== undefined && { nonce: p.nonce }),
        ...grant.org,
        ...grant.idTokenClaims,
      })
    }
    if (p.refreshToken !== undefined) body.refresh_token = p.refreshToken
    body.scope = scope
    body.expires_in = accessTokenTtl
    body.token_type = 'Bearer'
    return tokenJson(body)
  }

  function newRefreshToken(family: Family): string {
    const token = `v1.${randomToken(48)}`
    refreshTokens.set(token, { family, rotated: false, rotatedAt: 0 })
    return token
  }

  async function codeGrant(form: URLSearchParams, auth: PresentedClientAuth): Promise<Response> {
    const code = form.get('code')
    if (!code) return oauthError('invalid_request', 'Missing required parameter: code')
    const record = codes.get(code)
    if (record === undefined || record.clientId !== auth.clientId) return oauthError('invalid_grant', 'Invalid authorization code')
    if (record.used) {
      // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
      for (const family of record.families) family.revoked = true
      return oauthError('invalid_grant', 'Invalid authorization code')
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
      refreshToken = newRefreshToken(family)
    }
    return issue(record, { scope: record.scope, nonce: record.nonce, refreshToken })
  }

  async function refreshGrant(form: URLSearchParams, auth: PresentedClientAuth): Promise<Response> {
    const token = form.get('refresh_token')
    if (!token) return oauthError('invalid_request', 'Missing required parameter: refresh_token')
    const entry = refreshTokens.get(token)
    if (entry === undefined || entry.family.clientId !== auth.clientId || entry.family.revoked) {
      return oauthError('invalid_grant', 'Unknown or invalid refresh token.')
    }
    if (entry.rotated && nowSeconds() - entry.rotatedAt >= reuseInterval) {
      // Reuse of a rotated-away token: Auth0 takes it as theft and revokes the whole family.
      entry.family.revoked = true
      return oauthError('invalid_grant', 'Unknown or invalid refresh token.')
    }
    let scope = entry.family.scope
    const asked = form.get('scope')
    if (asked !== null) {
      const requested = scopeList(asked)
      const extra = requested.filter((s) => !entry.family.scope.includes(s))
      if (extra.length > 0) return oauthError('invalid_scope', `The requested scope is not a subset of the granted scope: ${extra.join(' ')}`)
      scope = requested
    }
    let refreshToken: string | undefined
    if (rotation) {
      if (!entry.rotated) Object.assign(entry, { rotated: true, rotatedAt: nowSeconds() })
      refreshToken = newRefreshToken(entry.family)
    }
    return issue(entry.family, { scope, refreshToken })
  }

  async function clientCredentialsGrant(form: URLSearchParams, auth: PresentedClientAuth): Promise<Response> {
    if (auth.method === 'none') return oauthError('unauthorized_client', "Grant type 'client_credentials' not allowed for the client.")
    const audience = form.get('audience') ?? options.audience
    if (!audience) return oauthError('access_denied', 'No audience parameter was provided, and no default audience has been configured')
    const now = nowSeconds()
    const scope = scopeList(form.get('scope'))
    const accessToken = await tenant.signAccessToken({
      sub: `${tenant.clientId}@clients`,
      aud: audience,
      iat: now,
      exp: now + accessTokenTtl,
      scope: scope.join(' '),
      azp: tenant.clientId,
      client_id: tenant.clientId,
      gty: 'client-credentials',
    })
    accessTokens.set(accessToken, { user: undefined, scope, exp: now + accessTokenTtl })
    return tokenJson({ access_token: accessToken, ...(scope.length > 0 && { scope: scope.join(' ') }), expires_in: accessTokenTtl, token_type: 'Bearer' })
  }

  async function tokenEndpoint(request: Request): Promise<Response> {
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
    return withFailures('token', grantType, request.signal, async () => {
      if (body.problem !== undefined) return oauthError('invalid_request', body.problem)
      if (grantType === undefined) return oauthError('invalid_request', 'Missing required parameter: grant_type')
      if (!isGrantType(grantType)) return oauthError('unsupported_grant_type', `Unsupported grant type: ${grantType}`)
      const refused = await authenticate(auth)
      if (refused) return refused
      switch (grantType) {
        case 'authorization_code':
          return codeGrant(body.form, auth)
        case 'refresh_token':
          return refreshGrant(body.form, auth)
        case 'client_credentials':
          return clientCredentialsGrant(body.form, auth)
      }
    }, record)
  }

  // --- other endpoints

  function userinfoEndpoint(request: Request): Response {
    const header = request.headers.get('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match?.[1]) return bearerError(401, undefined, 'No access token', tenant.domain)
    const record = accessTokens.get(match[1])
    if (record === undefined) return bearerError(401, 'invalid_token', 'Invalid token', tenant.domain)
    if (record.exp <= nowSeconds()) return bearerError(401, 'invalid_token', 'The access token expired', tenant.domain)
    if (record.user === undefined || !record.scope.includes('openid')) {
      return bearerError(403, 'insufficient_scope', 'The access token has no openid scope', tenant.domain)
    }
    return Response.json(profileClaims(record.user, record.scope))
  }

  async function revokeEndpoint(request: Request): Promise<Response> {
    const body = await readBody(request)
    if (body.problem !== undefined) return oauthError('invalid_request', body.problem)
    const auth = presentedClientAuth(request.headers, body.form)
    const refused = await authenticate(auth)
    if (refused) return refused
    const token = body.form.get('token')
    if (!token) return oauthError('invalid_request', 'Missing required parameter: token')
    const entry = refreshTokens.get(token)
    if (entry !== undefined && entry.family.clientId === auth.clientId) entry.family.revoked = true
    // RFC 7009: an unknown or dead token is not an error.
    return new Response(null, { status: 200 })
  }

  function discoveryDocument(): Record<string, unknown> {
    return {
      issuer: tenant.issuer,
      authorization_endpoint: urls.authorize,
      token_endpoint: urls.token,
      device_authorization_endpoint: endpoint('oauth/device/code'),
      userinfo_endpoint: urls.userinfo,
      mfa_challenge_endpoint: endpoint('mfa/challenge'),
      jwks_uri: urls.jwks,
      registration_endpoint: endpoint('oidc/register'),
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
    }
  }

  // --- /authorize

  async function authorize(authorizeUrl: URL | string, p: TestLoginOptions = {}): Promise<URL> {
    let url: URL
    try {
      url = new URL(authorizeUrl)
    } catch {
      throw new TypeError('authorize(): give the authorization URL your app redirects to (an absolute URL)')
    }
    if (url.origin + url.pathname !== urls.authorize) {
      throw new Error(`authorize(): ${url.origin + url.pathname} is not this tenant's authorization endpoint (${urls.authorize})`)
    }
    const q = url.searchParams
    const seen = new Set<string>()
    for (const name of q.keys()) {
      if (seen.has(name)) throw new Error(`authorize(): the parameter "${name}" is repeated (Auth0 shows an error page)`)
      seen.add(name)
    }
    const clientId = q.get('client_id')
    if (clientId !== tenant.clientId) {
      throw new Error(`authorize(): ${clientId === null ? 'no client_id' : `unknown client_id "${clientId}"`} (this tenant's application is "${tenant.clientId}"; Auth0 shows an error page)`)
    }
    const redirectUri = q.get('redirect_uri')
    if (!redirectUri) throw new Error('authorize(): no redirect_uri (Auth0 shows an error page)')
    let callback: URL
    try {
      callback = new URL(redirectUri)
    } catch {
      throw new Error('authorize(): redirect_uri is not an absolute URL (Auth0 shows an error page)')
    }
    if (options.callbackUrls !== undefined && !options.callbackUrls.includes(redirectUri)) {
      throw new Error(`authorize(): Callback URL mismatch: ${redirectUri} is not in the Allowed Callback URLs (Auth0 shows an error page)`)
    }
    callback.hash = '' // Auth0 drops fragments
    const state = q.get('state')
    const reply = (params: Record<string, string>) => {
      for (const [name, value] of Object.entries(params)) callback.searchParams.set(name, value)
      if (state !== null) callback.searchParams.set('state', state)
      callback.searchParams.set('iss', tenant.issuer)
      return callback
    }

    if (p.error !== undefined) return reply({ error: p.error, error_description: p.errorDescription ?? describeError(p.error, undefined) })
    const responseType = q.get('response_type')
    if (responseType !== 'code') {
      return reply({ error: 'unsupported_response_type', error_description: `Unsupported response type: ${responseType ?? '(none)'}; this stand-in tenant does the authorization code flow` })
    }
    const codeChallenge = q.get('code_challenge') ?? undefined
    const codeChallengeMethod = q.get('code_challenge_method') ?? 'plain'
    if (codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain') {
      return reply({ error: 'invalid_request', error_description: `Unsupported code_challenge_method: ${codeChallengeMethod}` })
    }
    if (codeChallenge === undefined && q.has('code_challenge_method')) {
      return reply({ error: 'invalid_request', error_description: 'code_challenge_method without code_challenge' })
    }

    const organization = q.get('organization')
    const org: Grant['org'] = {}
    if (organization) {
      if (organization.startsWith('org_')) org.org_id = organization
      else Object.assign(org, { org_id: `org_${organization.toLowerCase()}`, org_name: organization.toLowerCase() })
    }
    const code = randomToken(24)
    codes.set(code, {
      clientId,
      user: { ...DEFAULT_USER, ...options.user, ...p.user } as TestUser,
      scope: scopeList(q.get('scope')),
      audience: q.get('audience') ?? options.audience,
      org,
      authTime: nowSeconds(),
      sid: randomToken(16),
      idTokenClaims: { ...p.idTokenClaims },
      accessTokenClaims: { ...p.accessTokenClaims },
      redirectUri,
      codeChallenge,
      codeChallengeMethod,
      nonce: q.get('nonce') ?? undefined,
      used: false,
      families: [],
    })
    return reply({ code })
  }

  function logout(request: Request, returnParam: string): Response {
    const q = new URL(request.url).searchParams
    const target = q.get(returnParam)
    if (target === null) return new Response('OK', { status: 200, headers: { 'content-type': 'text/plain' } })
    const location = new URL(target)
    const state = q.get('state')
    if (state !== null && returnParam === 'post_logout_redirect_uri') location.searchParams.set('state', state)
    return new Response(null, { status: 302, headers: { location: location.href } })
  }

  const handlers: RequestHandler[] = [
    http.get(urls.discovery, ({ request }) => withFailures('discovery', undefined, request.signal, async () => Response.json(discoveryDocument()))),
    http.get(urls.jwks, ({ request }) =>
      withFailures('jwks', undefined, request.signal, async () => Response.json(tenant.jwks, { headers: { 'cache-control': 'public, max-age=15' } })),
    ),
    http.get(urls.authorize, async ({ request }) => {
      try {
        return new Response(null, { status: 302, headers: { location: (await authorize(request.url)).href } })
      } catch (err) {
        return new Response(`<!DOCTYPE html><html><body><h1>Oops!, something went wrong</h1><p>${String((err as Error).message).replace(/[<>&]/g, '')}</p></body></html>`, {
          status: 400,
          headers: { 'content-type': 'text/html; charset=utf-8' },
        })
      }
    }),
    http.post(urls.token, ({ request }) => tokenEndpoint(request)),
    http.get(urls.userinfo, ({ request }) => withFailures('userinfo', undefined, request.signal, async () => userinfoEndpoint(request))),
    http.post(urls.userinfo, ({ request }) => withFailures('userinfo', undefined, request.signal, async () => userinfoEndpoint(request))),
    http.post(urls.revoke, ({ request }) => withFailures('revoke', undefined, request.signal, () => revokeEndpoint(request))),
    http.get(urls.logout, ({ request }) => logout(request, 'returnTo')),
    http.get(urls.oidcLogout, ({ request }) => logout(request, 'post_logout_redirect_uri')),
  ]

  return {
    handlers,
    authorize,
    requests,
    fail(kind, failOptions = {}) {
      const fromKind: FailOptions = typeof kind === 'object' ? kind : {}
      const merged: FailOptions = { ...fromKind, ...failOptions }
      checkCount(merged.times, 'times', 1)
      if (typeof kind === 'object') {
        checkCount(kind.delayMs, 'delayMs', 0)
        const status: unknown = (kind as { status?: unknown }).status
        if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)) {
          throw new TypeError('fail(): "status" must be an HTTP error status (400-599)')
        }
        if ('error' in kind && (typeof kind.error !== 'string' || kind.error === '')) throw new TypeError('fail(): "error" must be an OAuth error code')
        if ('retryAfter' in kind) checkCount(kind.retryAfter, 'retryAfter', 0)
        if (!('error' in kind) && status === undefined && kind.delayMs === undefined) {
          throw new TypeError('fail(): give { status }, { error } or { delayMs }')
        }
      } else if (typeof kind !== 'string' || kind === '') {
        throw new TypeError('fail(): give an OAuth error code such as "invalid_grant", or { status }, { error } or { delayMs }')
      }
      if (merged.grant !== undefined && !isGrantType(merged.grant)) throw new TypeError(`fail(): unknown grant "${String(merged.grant)}"`)
      const where = merged.endpoint ?? 'token'
      if (merged.grant !== undefined && where !== 'token') throw new TypeError('fail(): "grant" applies to the token endpoint only')
      const failure: Failure = { kind, endpoint: where, grant: merged.grant, remaining: merged.times ?? Number.POSITIVE_INFINITY }
      failures.push(failure)
      return () => {
        failures = failures.filter((f) => f !== failure)
      }
    },
    refreshTokenStatus(refreshToken) {
      const entry = refreshTokens.get(refreshToken)
      if (entry === undefined) return 'unknown'
      if (entry.family.revoked) return 'revoked'
      return entry.rotated ? 'rotated' : 'active'
    },
    reset() {
      codes.clear()
      refreshTokens.clear()
      accessTokens.clear()
      failures = []
      requests.length = 0
    },
  }
}
