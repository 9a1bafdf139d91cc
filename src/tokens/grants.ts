// The code and refresh grants: plain functions for `import { exchangeCode } from 'authcode'` in
// any framework, and the implementation TokenClient's methods call. They reach only what these
// two grants need, so a bundle of them leaves TokenClient's other calls out.
import { checkRedirectUri, requireText, scopeString } from '../lib/checks.js'
import { type ClientConfig, type ResolvedConfig, resolveConfig } from '../config.js'
import { ConfigError, IdTokenError } from '../errors.js'
import { checkOrganization } from '../auth0.js'
import type { RequestOptions } from '../lib/http.js'
import { type InferClaims, type StandardSchemaV1, validateWithSchema } from '../lib/standard-schema.js'
import { call, requestOptions, session } from '../provider/session.js'
import { type IdTokenClaims, type TokenSet, epochSeconds, toTokenSet } from '../token-set.js'

export type { RequestOptions }

/**
 * Parameters of {@link TokenClient.exchangeCode}. The {@link AuthorizationTransaction} from
 * `createAuthorizationRequest` has every field but `code`: spread it in.
 *
 * @example
 * ```ts
 * const params: ExchangeCodeParams = { code, ...transaction }
 * const tokens = await client.exchangeCode(params)
 * ```
 */
export interface ExchangeCodeParams<S extends StandardSchemaV1 | undefined = undefined> extends RequestOptions {
  /** The `code` from {@link validateCallback}. */
  code: string
  /** The same `redirect_uri` as on the authorization request. */
  redirectUri: string
  /** The PKCE verifier; required for a public client (`clientAuth: 'none'`). */
  codeVerifier?: string
  /** The nonce sent on the authorization request; the ID token must carry it. */
  nonce?: string
  /** The max_age sent; the ID token's `auth_time` must be recent enough. */
  maxAge?: number
  /** The organization ID (`org_…`) or name sent; the ID token's `org_id`/`org_name` must match. */
  organization?: string
  /** A schema (zod, valibot, …) for the ID token's custom claims; `claims` is typed from it. */
  claims?: S
}

/**
 * Parameters of {@link TokenClient.refresh}.
 *
 * @example
 * ```ts
 * const params: RefreshParams = { refreshToken, scope: ['openid', 'read:contacts'] }
 * ```
 */
export interface RefreshParams extends RequestOptions {
  /** The refresh token to spend. */
  refreshToken: string
  /** A narrower set of the granted scopes; omitted means the original ones. */
  scope?: string | string[]
  /**
   * An access token for another API than the login's (Auth0's multi-resource refresh tokens
   * send `audience`); omitted means the original one.
   */
  audience?: string
}

/** The code grant on a resolved config; {@link exchangeCode} and TokenClient call it. Internal. */
export async function exchangeWith<S extends StandardSchemaV1 | undefined = undefined>(
  config: ResolvedConfig,
  p: ExchangeCodeParams<S>,
): Promise<TokenSet<IdTokenClaims & InferClaims<S>>> {
  if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
  const code = requireText(p.code, 'code')
  const redirectUri = checkRedirectUri(p.redirectUri)
  if (p.codeVerifier !== undefined) requireText(p.codeVerifier, 'codeVerifier')
  if (config.clientAuth === 'none' && p.codeVerifier === undefined) {
    throw new ConfigError('codeVerifier', 'a public client (clientAuth "none") must send the PKCE code verifier of the login')
  }
  if (p.maxAge !== undefined && (!Number.isInteger(p.maxAge) || p.maxAge < 0)) {
    throw new ConfigError('maxAge', 'must be a whole number of seconds, 0 or more')
  }
  const s = await session(config, p.signal)
  const { o, as } = s
  const callback = new URLSearchParams({ code })
  // oauth4webapi takes only the parameters its own validateAuthResponse returned, and wants
  // `iss` there when the provider advertises RFC 9207. The state was checked by validateCallback.
  if (as.authorization_response_iss_parameter_supported) callback.set('iss', as.issuer)
  const validated = o.validateAuthResponse(as, s.client, callback, o.skipStateCheck)
  const now = epochSeconds()
  const ctx = { endpoint: 'token', grant: 'authorization_code', secrets: [code, p.codeVerifier] } as const
  const { json, claims } = await call(
    s,
    ctx,
    (holds) =>
      o.authorizationCodeGrantRequest(as, s.client, s.auth, validated, redirectUri, p.codeVerifier ?? o.nopkce, requestOptions(s, false, p.signal, [code, p.codeVerifier], holds)),
    async (res) => {
      const json = await o.processAuthorizationCodeResponse(as, s.client, res, {
        expectedNonce: p.nonce ?? o.expectNoNonce,
        maxAge: p.maxAge ?? o.skipAuthTimeCheck,
        requireIdToken: p.nonce !== undefined || p.organization !== undefined,
      })
      return { json, claims: o.getValidatedIdTokenClaims(json) as IdTokenClaims | undefined }
    },
  )
  if (p.organization !== undefined) checkOrganization(p.organization, claims)
  let typed = claims
  if (p.claims !== undefined && claims !== undefined) {
    const checked = await validateWithSchema(p.claims, claims)
    if (!checked.ok) throw new IdTokenError(`The ID token's claims do not match the expected schema: ${checked.problem}`)
    typed = { ...claims, ...(checked.value as object) }
  }
  return toTokenSet(json, typed, { now }) as TokenSet<IdTokenClaims & InferClaims<S>>
}

/** The refresh grant on a resolved config; {@link refreshTokens} and TokenClient call it. Internal. */
export async function refreshWith(config: ResolvedConfig, p: RefreshParams): Promise<TokenSet> {
  if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
  const refreshToken = requireText(p.refreshToken, 'refreshToken')
  const scope = scopeString(p.scope)
  const s = await session(config, p.signal)
  const { o, as } = s
  const now = epochSeconds()
  const { json, claims } = await call(
    s,
    { endpoint: 'token', grant: 'refresh_token', secrets: [refreshToken] },
    (holds) =>
      o.refreshTokenGrantRequest(as, s.client, s.auth, refreshToken, {
        ...requestOptions(s, false, p.signal, [refreshToken], holds),
        additionalParameters: { ...(scope !== undefined && { scope }), ...(p.audience !== undefined && { audience: requireText(p.audience, 'audience') }) },
      }),
    async (res) => {
      const json = await o.processRefreshTokenResponse(as, s.client, res)
      return { json, claims: o.getValidatedIdTokenClaims(json) as IdTokenClaims | undefined }
    },
  )
  return toTokenSet(json, claims, { now, previousRefreshToken: refreshToken })
}

/**
 * Exchanges an authorization code for tokens (`grant_type=authorization_code`): POST to
 * `/oauth/token` with `client_id`, `code`, `redirect_uri`, `code_verifier` and the client
 * authentication. Validates the ID token's claims (iss, aud, exp, iat, nonce, azp,
 * auth_time/max_age) and, when an organization was asked for, its `org_id`/`org_name`.
 * The same as {@link TokenClient.exchangeCode}.
 *
 * The config is validated once per config object (and an issuer discovered once): keep
 * `config` one object for the life of your server. The request is not retried once it may
 * have reached the server: a code works once.
 *
 * @throws {ConfigError|OAuthError|IdTokenError|ResponseError|NetworkError|TimeoutError|AbortError}
 * @example
 * ```ts
 * import { validateCallback, exchangeCode } from 'authcode'
 * const { code } = validateCallback(request.url, transaction)
 * const tokens = await exchangeCode(config, { code, ...transaction })
 * ```
 */
export async function exchangeCode<S extends StandardSchemaV1 | undefined = undefined>(
  config: ClientConfig,
  p: ExchangeCodeParams<S>,
): Promise<TokenSet<IdTokenClaims & InferClaims<S>>> {
  return exchangeWith(resolveConfig(config), p)
}

/**
 * Refreshes tokens (`grant_type=refresh_token`), optionally for a narrower scope; the same as
 * {@link TokenClient.refresh}. When the reply has no new refresh token (no rotation), the
 * result keeps the one that was used.
 *
 * @throws {ConfigError|OAuthError|IdTokenError|ResponseError|NetworkError|TimeoutError|AbortError}
 * @example
 * ```ts
 * import { refreshTokens } from 'authcode'
 * const fresh = await refreshTokens(config, { refreshToken: tokens.refreshToken! })
 * ```
 */
export async function refreshTokens(config: ClientConfig, p: RefreshParams): Promise<TokenSet> {
  return refreshWith(resolveConfig(config), p)
}

