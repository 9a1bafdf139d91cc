// createAuthorizationRequest: starts a login (state, nonce, PKCE, optional PAR) and returns the transaction to keep.
import { type AuthorizeOptions, type BuildAuthorizeUrlParams, buildAuthorizeUrl } from './authorize.js'
import { scopeString } from '../lib/checks.js'
import { type ClientConfig, resolveConfig } from '../config.js'
import { ConfigError } from '../errors.js'
import { serverMetadata } from '../provider/discovery.js'
import { dpopThumbprint, pushAuthorization } from '../provider/par.js'
import { randomTokens, s256 } from './random.js'

/**
 * What a login must remember between sending the user to `/authorize` and the callback.
 * Keep it server-side or in a sealed cookie: it holds the PKCE verifier.
 *
 * @example
 * ```ts
 * const { url, transaction } = await createAuthorizationRequest(config, { redirectUri })
 * session.login = transaction // at /login
 * const { code } = validateCallback(request.url, session.login) // at /callback
 * const tokens = await exchangeCode(config, { code, ...session.login })
 * ```
 */
export interface AuthorizationTransaction {
  /** The `state` sent, which the callback must carry back. */
  state: string
  /** Present when the scope had `openid`. */
  nonce?: string
  /** The PKCE code verifier, sent with the code exchange. */
  codeVerifier: string
  /** The callback URL sent, which the code exchange must repeat. */
  redirectUri: string
  /** The issuer the callback's `iss` must match (RFC 9207). */
  issuer: string
  /** True when the provider always sends `iss` on the callback, so its absence is an attack. */
  requireIssuer?: boolean
  /** The organization asked for; `exchangeCode` checks the ID token's org_id/org_name. */
  organization?: string
  /** The max_age asked for; `exchangeCode` checks the ID token's auth_time. */
  maxAge?: number
}

/**
 * Parameters of {@link createAuthorizationRequest}.
 *
 * @example
 * ```ts
 * const params: CreateAuthorizationRequestParams = { redirectUri: 'https://app.example.com/callback', organization: 'org_123' }
 * ```
 */
export interface CreateAuthorizationRequestParams extends AuthorizeOptions {
  /** Absolute http(s) URL with no fragment; must be an allowed callback URL of the app. */
  redirectUri: string
  /**
   * Push the parameters to the provider first (RFC 9126, PAR) and send the user with a short
   * URL holding only `client_id` and `request_uri`: nothing of the request shows in the
   * browser, and the provider has checked it (and the client) before the user arrives.
   */
  par?: boolean | undefined
  /** Aborts discovery or the PAR request. */
  signal?: AbortSignal | undefined
}

const DEFAULT_SCOPE = 'openid profile email'

/** Every parameter of buildAuthorizeUrl but `domain`, each one required: undefined means absent. */
type AllAuthorizeParams = { [K in Exclude<keyof BuildAuthorizeUrlParams, 'domain'>]-?: BuildAuthorizeUrlParams[K] | undefined }

/**
 * Starts a login: makes `state`, a `nonce` (when the scope has `openid`) and a PKCE S256
 * verifier, and builds the `/authorize` URL for the configured provider. Returns that `url`,
 * to redirect the user to, and the `transaction` to keep until the callback.
 *
 * Defaults: scope `openid profile email`; `audience` from the config.
 *
 * @throws {ConfigError} for a bad config or parameter.
 * @throws {NetworkError|ResponseError|TimeoutError} when an `issuer`'s discovery fails.
 * @example
 * ```ts
 * import { createAuthorizationRequest } from 'authcode'
 * const { url, transaction } = await createAuthorizationRequest(config, {
 *   redirectUri: 'https://app.example.com/callback',
 *   scope: 'openid profile email offline_access',
 * })
 * // store `transaction` (server session or sealed cookie), then redirect to `url`
 * ```
 */
export async function createAuthorizationRequest(
  config: ClientConfig,
  p: CreateAuthorizationRequestParams,
): Promise<{ url: URL; transaction: AuthorizationTransaction }> {
  const resolved = resolveConfig(config)
  if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
  const redirectUri = p.redirectUri // buildAuthorizeUrl checks it
  const scope = scopeString(p.scope ?? DEFAULT_SCOPE)
  const server = await serverMetadata(resolved, p.signal)
  if (typeof server.authorization_endpoint !== 'string') {
    throw new ConfigError('issuer', 'the provider advertises no authorization_endpoint')
  }
  const openid = scope !== undefined && ` ${scope} `.includes(' openid ')
  // One call to the random source for all of them.
  const [state, codeVerifier, nonce] = randomTokens(openid ? 3 : 2) as [string, string, string?]
  const audience = p.audience ?? resolved.audience
  // DPoP: bind the code to the key (RFC 9449 §10), so only its holder can redeem it.
  const dpopJkt = resolved.dpop === undefined ? undefined : await dpopThumbprint(resolved)
  // Hash while the URL is built: Web Crypto digests off the main thread on most runtimes, so
  // the checks and the URL cost no time. The URL takes a stand-in challenge until then.
  const challenge = s256(codeVerifier)
  let url: URL
  try {
    // Every option named in one literal, not `{ ...p, … }`: V8 builds a spread followed by many
    // properties on a slow path (several µs), and par, signal or stray keys of p stay out.
    const params: AllAuthorizeParams = {
      authorizationEndpoint: server.authorization_endpoint,
      clientId: resolved.clientId,
      redirectUri,
      state,
      nonce,
      codeChallenge: 'pending',
      codeChallengeMethod: 'S256',
      scope,
      audience,
      organization: p.organization,
      invitation: p.invitation,
      prompt: p.prompt,
      connection: p.connection,
      loginHint: p.loginHint,
      screenHint: p.screenHint,
      maxAge: p.maxAge,
      uiLocales: p.uiLocales,
      responseMode: p.responseMode,
      extraParams: dpopJkt === undefined ? p.extraParams : { ...p.extraParams, dpop_jkt: dpopJkt },
    }
    url = buildAuthorizeUrl(params as BuildAuthorizeUrlParams)
    if (!resolved.allowInsecureRequests && url.protocol !== 'https:') {
      throw new ConfigError('allowInsecureRequests', 'the authorization endpoint is not https; set allowInsecureRequests for local development only')
    }
  } catch (err) {
    challenge.catch(() => undefined) // never awaited now; a failure of it is not this error
    throw err
  }
  // We made the verifier, so it needs no checking. set() keeps the parameter's place.
  url.searchParams.set('code_challenge', await challenge)
  const { par, signal } = p
  if (par === true) {
    const { requestUri } = await pushAuthorization(resolved, url.searchParams, signal === undefined ? {} : { signal })
    url = new URL(server.authorization_endpoint)
    url.searchParams.set('client_id', resolved.clientId)
    url.searchParams.set('request_uri', requestUri)
  }
  const transaction: AuthorizationTransaction = { state, codeVerifier, redirectUri, issuer: server.issuer }
  if (nonce !== undefined) transaction.nonce = nonce
  if (server.authorization_response_iss_parameter_supported === true) transaction.requireIssuer = true
  if (p.organization !== undefined) transaction.organization = p.organization
  if (p.maxAge !== undefined) transaction.maxAge = p.maxAge
  return { url, transaction }
}

