// TokenClient: the grants at the token endpoint (code, refresh, client credentials), revocation and userinfo.
import * as oauth from 'oauth4webapi'
import { checkRedirectUri, scopeString } from './authorize.js'
import { type ClientConfig, type ResolvedConfig, resolveConfig } from './config.js'
import { ConfigError, IdTokenError } from './errors.js'
import { type InferClaims, type StandardSchemaV1, validateWithSchema } from './standard-schema.js'
import { customFetch } from './http.js'
import { checkOrganization } from './organization.js'
import { type ErrorContext, toAuthcodeError } from './oauth-errors.js'
import { type IdTokenClaims, type TokenSet, epochSeconds, toTokenSet } from './token-set.js'

/**
 * Options every network call takes.
 *
 * @example
 * ```ts
 * const profile = await client.userinfo(accessToken, { signal: AbortSignal.timeout(2_000) })
 * ```
 */
export interface RequestOptions {
  /** Aborts the request (and any retry wait); the call then throws {@link AbortError}. */
  signal?: AbortSignal
}

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
  refreshToken: string
  /** A narrower set of the granted scopes; omitted means the original ones. */
  scope?: string | string[]
}

/**
 * Parameters of {@link TokenClient.clientCredentials}.
 *
 * @example
 * ```ts
 * const params: ClientCredentialsParams = { audience: 'https://api.example.com', scope: 'read:reports' }
 * ```
 */
export interface ClientCredentialsParams extends RequestOptions {
  /** The API to get a token for. Default: the config's `audience`. */
  audience?: string
  scope?: string | string[]
}

/**
 * Options of {@link TokenClient.revoke}.
 *
 * @example
 * ```ts
 * await client.revoke(refreshToken, { tokenTypeHint: 'refresh_token' })
 * ```
 */
export interface RevokeOptions extends RequestOptions {
  /** Default `refresh_token` (the only kind Auth0 revokes). */
  tokenTypeHint?: 'refresh_token' | 'access_token'
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(field, 'must be a non-empty string')
  return value
}

/**
 * Trades codes and refresh tokens for tokens at the provider's token endpoint, over the
 * injected `fetch`, with a timeout on every request and bounded retries (never retrying a
 * code exchange that may have reached the server). Stateless: one instance per application
 * config, shared by every request of your server.
 *
 * @throws {ConfigError} from the constructor, naming a wrong config field.
 * @example
 * ```ts
 * import { TokenClient } from 'authcode'
 * const client = new TokenClient({
 *   domain: 'my-tenant.eu.auth0.com',
 *   clientId: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
 *   clientSecret, // from your secret store, never from source code
 * })
 * const tokens = await client.exchangeCode({ code, ...transaction })
 * const fresh = await client.refresh({ refreshToken: tokens.refreshToken! })
 * ```
 */
export class TokenClient {
  readonly #config: ResolvedConfig
  readonly #client: oauth.Client
  readonly #auth: oauth.ClientAuth
  readonly #dpop: oauth.DPoPHandle | undefined

  constructor(config: ClientConfig) {
    const c = resolveConfig(config)
    this.#config = c
    this.#client = { client_id: c.clientId }
    switch (c.clientAuth) {
      case 'client_secret_post':
        this.#auth = oauth.ClientSecretPost(c.clientSecret!)
        break
      case 'client_secret_basic':
        this.#auth = oauth.ClientSecretBasic(c.clientSecret!)
        break
      case 'private_key_jwt':
        this.#auth = oauth.PrivateKeyJwt(c.privateKey!)
        break
      case 'none':
        this.#auth = oauth.None()
        break
    }
    this.#dpop = c.dpop === undefined ? undefined : oauth.DPoP(this.#client, c.dpop)
  }

  /** The issuer identifier this client talks to, e.g. `https://tenant.eu.auth0.com/`. */
  get issuer(): string {
    return this.#config.issuer
  }

  /** The client ID this client authenticates as. */
  get clientId(): string {
    return this.#config.clientId
  }

  /** The per-request timeout in milliseconds (also used by TokenManager for API calls). */
  get timeoutMs(): number {
    return this.#config.http.timeoutMs
  }

  /** Whether plain-http endpoints (and APIs, through TokenManager) are allowed: local development only. */
  get allowInsecureRequests(): boolean {
    return this.#config.allowInsecureRequests
  }

  #options(idempotent: boolean, signal: AbortSignal | undefined, secrets: ReadonlyArray<string | undefined> = []) {
    return {
      [oauth.customFetch]: customFetch(this.#config.http, { idempotent, signal, secrets: [this.#config.clientSecret, ...secrets] }),
      [oauth.allowInsecureRequests]: this.#config.allowInsecureRequests,
      ...(this.#dpop !== undefined && { DPoP: this.#dpop }),
    }
  }

  // Runs a request and its processing; maps whatever fails to a typed, secret-free error.
  async #call<T>(
    ctx: Omit<ErrorContext, 'response' | 'secrets'> & { secrets: ReadonlyArray<string | undefined> },
    request: () => Promise<Response>,
    handle: (res: Response) => Promise<T>,
  ): Promise<T> {
    let response: Response | undefined
    // RFC 9449 §8: a server that wants a fresh DPoP nonce refuses the request before acting
    // on it (a code is not spent), so one retry with the nonce it sent is safe.
    for (let attempt = 0; ; attempt++) {
      try {
        response = await request()
        return await handle(response)
      } catch (err) {
        if (attempt === 0 && this.#dpop !== undefined && oauth.isDPoPNonceError(err)) continue
        throw await toAuthcodeError(err, { ...ctx, response, secrets: [this.#config.clientSecret, ...ctx.secrets] })
      }
    }
  }

  /**
   * The JWK thumbprint of the DPoP key, for the `dpop_jkt` authorization parameter, or
   * undefined without DPoP.
   *
   * @example
   * ```ts
   * const jkt = await client.dpopThumbprint() // "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
   * ```
   */
  async dpopThumbprint(): Promise<string | undefined> {
    return this.#dpop?.calculateThumbprint()
  }

  /**
   * Pushes authorization request parameters to the provider (RFC 9126, PAR) with client
   * authentication, and returns the `request_uri` to send the user with instead.
   * `createAuthorizationRequest(config, { par: true })` calls this for you.
   *
   * @throws {OAuthError|ResponseError|NetworkError|TimeoutError|AbortError|ConfigError}
   * @example
   * ```ts
   * const { requestUri } = await client.pushAuthorizationRequest(url.searchParams)
   * ```
   */
  async pushAuthorizationRequest(
    params: URLSearchParams,
    options: RequestOptions = {},
  ): Promise<{ requestUri: string; expiresIn: number }> {
    const as = await this.#server(options.signal)
    const body = new URLSearchParams(params)
    body.delete('client_id') // the client authentication adds it
    const par = await this.#call(
      { endpoint: 'par', secrets: [] },
      () => oauth.pushedAuthorizationRequest(as, this.#client, this.#auth, body, this.#options(true, options.signal)),
      (res) => oauth.processPushedAuthorizationResponse(as, this.#client, res),
    )
    return { requestUri: par.request_uri, expiresIn: par.expires_in }
  }

  /**
   * Calls an API with a DPoP-bound access token: adds `authorization: DPoP …` and a fresh
   * proof for the method and URL, and retries once when the API asks for a DPoP nonce.
   * `TokenManager.fetch` uses this for tokens of type DPoP.
   *
   * @throws {ConfigError} when this client has no `dpop` key pair.
   * @example
   * ```ts
   * const res = await client.fetchWithDpop(tokens.accessToken, 'https://api.example.com/contacts')
   * ```
   */
  async fetchWithDpop(accessToken: string, input: RequestInfo | URL, init: RequestInit = {}, fetchImpl: typeof fetch = globalThis.fetch): Promise<Response> {
    if (this.#dpop === undefined) throw new ConfigError('dpop', 'a DPoP token needs the key pair it is bound to: set dpop in the config')
    const request = new Request(input, init)
    const body = request.body === null ? null : await request.arrayBuffer()
    const headers = new Headers(request.headers)
    headers.delete('authorization')
    const send = () =>
      oauth.protectedResourceRequest(accessToken, request.method, new URL(request.url), headers, body, {
        DPoP: this.#dpop!,
        [oauth.customFetch]: (url, options) => fetchImpl(url, options as RequestInit),
        [oauth.allowInsecureRequests]: this.#config.allowInsecureRequests,
        ...(init.signal ? { signal: init.signal } : {}),
      })
    for (let attempt = 0; ; attempt++) {
      try {
        return await send()
      } catch (err) {
        if (attempt === 0 && oauth.isDPoPNonceError(err)) continue
        // Any other challenge (an expired or invalid token): hand back the API's own answer.
        if (err instanceof oauth.WWWAuthenticateChallengeError) return err.response
        throw await toAuthcodeError(err, { endpoint: 'api', secrets: [accessToken] })
      }
    }
  }

  /**
   * Exchanges an authorization code for tokens (`grant_type=authorization_code`): POST to
   * `/oauth/token` with `client_id`, `code`, `redirect_uri`, `code_verifier` and the client
   * authentication. Validates the ID token's claims (iss, aud, exp, iat, nonce, azp,
   * auth_time/max_age) and, when an organization was asked for, its `org_id`/`org_name`.
   *
   * The request is not retried once it may have reached the server: a code works once.
   *
   * @throws {OAuthError} the server refused (e.g. `invalid_grant`, `invalid_client`).
   * @throws {IdTokenError} the ID token failed a check.
   * @throws {ResponseError|NetworkError|TimeoutError|AbortError} transport failures.
   * @throws {ConfigError} missing code/redirectUri, or no verifier for a public client.
   * @example
   * ```ts
   * const { code } = validateCallback(request.url, transaction)
   * const tokens = await client.exchangeCode({ code, ...transaction })
   * tokens.claims?.sub // "auth0|5f7c8ec7c33c6c004bbafe82"
   * ```
   */
  async exchangeCode<S extends StandardSchemaV1 | undefined = undefined>(
    p: ExchangeCodeParams<S>,
  ): Promise<TokenSet<IdTokenClaims & InferClaims<S>>> {
    if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
    const code = requireText(p.code, 'code')
    const redirectUri = checkRedirectUri(p.redirectUri)
    if (p.codeVerifier !== undefined) requireText(p.codeVerifier, 'codeVerifier')
    if (this.#config.clientAuth === 'none' && p.codeVerifier === undefined) {
      throw new ConfigError('codeVerifier', 'a public client (clientAuth "none") must send the PKCE code verifier of the login')
    }
    if (p.maxAge !== undefined && (!Number.isInteger(p.maxAge) || p.maxAge < 0)) {
      throw new ConfigError('maxAge', 'must be a whole number of seconds, 0 or more')
    }
    const as = await this.#server(p.signal)
    const callback = new URLSearchParams({ code })
    // oauth4webapi takes only the parameters its own validateAuthResponse returned, and wants
    // `iss` there when the provider advertises RFC 9207. The state was checked by validateCallback.
    if (as.authorization_response_iss_parameter_supported) callback.set('iss', as.issuer)
    const validated = oauth.validateAuthResponse(as, this.#client, callback, oauth.skipStateCheck)
    const now = epochSeconds()
    const ctx = { endpoint: 'token', grant: 'authorization_code', secrets: [code, p.codeVerifier] } as const
    const { json, claims } = await this.#call(
      ctx,
      () =>
        oauth.authorizationCodeGrantRequest(as, this.#client, this.#auth, validated, redirectUri, p.codeVerifier ?? oauth.nopkce, this.#options(false, p.signal, [code, p.codeVerifier])),
      async (res) => {
        const json = await oauth.processAuthorizationCodeResponse(as, this.#client, res, {
          expectedNonce: p.nonce ?? oauth.expectNoNonce,
          maxAge: p.maxAge ?? oauth.skipAuthTimeCheck,
          requireIdToken: p.nonce !== undefined || p.organization !== undefined,
        })
        return { json, claims: oauth.getValidatedIdTokenClaims(json) as IdTokenClaims | undefined }
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

  /**
   * Gets new tokens with a refresh token (`grant_type=refresh_token`). When the reply has no
   * new refresh token (no rotation), the result keeps the one that was used.
   *
   * @throws {OAuthError} `invalid_grant` when the refresh token is dead: log the user in again.
   * @throws {IdTokenError|ResponseError|NetworkError|TimeoutError|AbortError} as for exchangeCode.
   * @example
   * ```ts
   * const fresh = await client.refresh({ refreshToken: tokens.refreshToken!, scope: 'openid read:contacts' })
   * ```
   */
  async refresh(p: RefreshParams): Promise<TokenSet> {
    if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
    const refreshToken = requireText(p.refreshToken, 'refreshToken')
    const scope = scopeString(p.scope)
    const as = await this.#server(p.signal)
    const now = epochSeconds()
    const { json, claims } = await this.#call(
      { endpoint: 'token', grant: 'refresh_token', secrets: [refreshToken] },
      () =>
        oauth.refreshTokenGrantRequest(as, this.#client, this.#auth, refreshToken, {
          ...this.#options(false, p.signal, [refreshToken]),
          ...(scope !== undefined && { additionalParameters: { scope } }),
        }),
      async (res) => {
        const json = await oauth.processRefreshTokenResponse(as, this.#client, res)
        return { json, claims: oauth.getValidatedIdTokenClaims(json) as IdTokenClaims | undefined }
      },
    )
    return toTokenSet(json, claims, { now, previousRefreshToken: refreshToken })
  }

  /**
   * Gets a token for the application itself (`grant_type=client_credentials`), for
   * machine-to-machine calls. Auth0 requires an `audience`.
   *
   * @throws {ConfigError} for a public client, which cannot use this grant.
   * @throws {OAuthError} e.g. `access_denied` when the app is not authorized for the API.
   * @example
   * ```ts
   * const { accessToken } = await client.clientCredentials({ audience: 'https://api.example.com' })
   * ```
   */
  async clientCredentials(p: ClientCredentialsParams = {}): Promise<TokenSet> {
    if (this.#config.clientAuth === 'none') {
      throw new ConfigError('clientAuth', 'client credentials need a confidential client (a clientSecret or privateKey)')
    }
    const audience = p.audience ?? this.#config.audience
    if (audience !== undefined) requireText(audience, 'audience')
    const scope = scopeString(p.scope)
    const params: Record<string, string> = {}
    if (audience !== undefined) params.audience = audience
    if (scope !== undefined) params.scope = scope
    const as = await this.#server(p.signal)
    const now = epochSeconds()
    const json = await this.#call(
      { endpoint: 'token', grant: 'client_credentials', secrets: [] },
      () => oauth.clientCredentialsGrantRequest(as, this.#client, this.#auth, params, this.#options(false, p.signal)),
      (res) => oauth.processClientCredentialsResponse(as, this.#client, res),
    )
    return toTokenSet(json, undefined, { now })
  }

  /**
   * Revokes a refresh token at `/oauth/revoke` (RFC 7009). Revoking a token that is already
   * dead succeeds.
   *
   * @throws {OAuthError|ResponseError|NetworkError|TimeoutError|AbortError}
   * @example
   * ```ts
   * await client.revoke(tokens.refreshToken!)
   * ```
   */
  async revoke(token: string, options: RevokeOptions = {}): Promise<void> {
    requireText(token, 'token')
    const as = await this.#server(options.signal)
    await this.#call(
      { endpoint: 'revocation', secrets: [token] },
      () =>
        oauth.revocationRequest(as, this.#client, this.#auth, token, {
          ...this.#options(true, options.signal, [token]),
          additionalParameters: { token_type_hint: options.tokenTypeHint ?? 'refresh_token' },
        }),
      (res) => oauth.processRevocationResponse(res),
    )
  }

  /**
   * Reads the user's profile from `/userinfo` with an access token.
   *
   * @throws {OAuthError} e.g. `invalid_token` when the access token expired.
   * @throws {ResponseError|NetworkError|TimeoutError|AbortError}
   * @example
   * ```ts
   * const profile = await client.userinfo(tokens.accessToken)
   * profile.email // "jane@example.com"
   * ```
   */
  async userinfo(accessToken: string, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    requireText(accessToken, 'accessToken')
    const as = await this.#server(options.signal)
    const info = await this.#call(
      { endpoint: 'userinfo', secrets: [accessToken] },
      () => oauth.userInfoRequest(as, this.#client, accessToken, this.#options(true, options.signal, [accessToken])),
      (res) => oauth.processUserInfoResponse(as, this.#client, oauth.skipSubjectCheck, res),
    )
    return { ...info }
  }

  async #server(signal: AbortSignal | undefined): Promise<oauth.AuthorizationServer> {
    return this.#config.server(signal)
  }
}
