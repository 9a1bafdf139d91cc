// TokenClient: the grants at the token endpoint (code, refresh, client credentials), revocation and userinfo.
import { requireText, scopeString } from '../lib/checks.js'
import { type ClientConfig, type ResolvedConfig, resolveConfig } from '../config.js'
import { ConfigError } from '../errors.js'
import { type ExchangeCodeParams, type RefreshParams, type RequestOptions, exchangeWith, refreshWith } from './grants.js'
import type { InferClaims, StandardSchemaV1 } from '../lib/standard-schema.js'
import { issuerOf } from '../provider/discovery.js'
import { type More, loadMore } from '../provider/load.js'
import { dpopThumbprint, pushAuthorization } from '../provider/par.js'
import { toError } from '../provider/error-mapping.js'
import { type Session, call, requestOptions, retryOnDpopNonce, session } from '../provider/session.js'
import { type IdTokenClaims, type TokenSet, epochSeconds, toTokenSet } from '../token-set.js'

export type { ExchangeCodeParams, RefreshParams, RequestOptions } from './grants.js'

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
  /** The scopes to ask for. Omitted: the provider's default (Auth0: every scope the client is granted for the API). */
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

  constructor(config: ClientConfig) {
    this.#config = resolveConfig(config)
  }

  /**
   * The issuer identifier this client talks to, e.g. `https://tenant.eu.auth0.com/`. For an
   * `issuer` config: as configured until the first request has discovered the provider, then
   * exactly as its discovery document spells it (`https://accounts.google.com`, no slash).
   */
  get issuer(): string {
    return issuerOf(this.#config)
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

  async #session(signal: AbortSignal | undefined): Promise<[Session, More]> {
    return Promise.all([session(this.#config, signal), loadMore()])
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
    return dpopThumbprint(this.#config)
  }

  /**
   * Pushes authorization request parameters to the provider (RFC 9126, PAR) with client
   * authentication, and returns the `request_uri` to send the user with instead (`requestUri`)
   * and the seconds it stays valid (`expiresIn`).
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
    return pushAuthorization(this.#config, params, options)
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
    if (this.#config.dpop === undefined) throw new ConfigError('dpop', 'a DPoP token needs its key pair: set dpop in the config')
    const [s, more] = await this.#session(init.signal ?? undefined)
    const request = new Request(input, init)
    const body = request.body === null ? null : await request.arrayBuffer()
    const headers = new Headers(request.headers)
    headers.delete('authorization')
    const send = () =>
      more.protectedResourceRequest(accessToken, request.method, new URL(request.url), headers, body, {
        DPoP: s.dpop!,
        [s.o.customFetch]: (url, options) => fetchImpl(url, options as RequestInit),
        [s.o.allowInsecureRequests]: this.#config.allowInsecureRequests,
        ...(init.signal ? { signal: init.signal } : {}),
      })
    try {
      return await retryOnDpopNonce(s, send)
    } catch (err) {
      // Any other challenge (an expired or invalid token): hand back the API's own answer.
      if (err instanceof more.WWWAuthenticateChallengeError) return err.response
      throw await toError(err, { endpoint: 'api', secrets: [accessToken] })
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
    return exchangeWith(this.#config, p)
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
    return refreshWith(this.#config, p)
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
    const [s, more] = await this.#session(p.signal)
    const now = epochSeconds()
    const json = await call(
      s,
      { endpoint: 'token', grant: 'client_credentials', secrets: [] },
      (holds) => more.clientCredentialsGrantRequest(s.as, s.client, s.auth, params, requestOptions(s, false, p.signal, [], holds)),
      (res) => more.processClientCredentialsResponse(s.as, s.client, res),
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
    const [s, more] = await this.#session(options.signal)
    await call(
      s,
      { endpoint: 'revocation', secrets: [token] },
      (holds) =>
        more.revocationRequest(s.as, s.client, s.auth, token, {
          ...requestOptions(s, true, options.signal, [token], holds),
          additionalParameters: { token_type_hint: options.tokenTypeHint ?? 'refresh_token' },
        }),
      (res) => more.processRevocationResponse(res),
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
    const [s, more] = await this.#session(options.signal)
    const info = await call(
      s,
      { endpoint: 'userinfo', secrets: [accessToken] },
      (holds) => more.userInfoRequest(s.as, s.client, accessToken, requestOptions(s, true, options.signal, [accessToken], holds)),
      (res) => more.processUserInfoResponse(s.as, s.client, more.skipSubjectCheck, res),
    )
    return { ...info }
  }
}
