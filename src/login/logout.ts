// The logout URL: Auth0's /v2/logout, or any provider's OpenID Connect end_session_endpoint.
import { checkRedirectUri, httpUrl, requireUrlText } from '../lib/checks.js'
import { type ClientConfig, resolveConfig } from '../config.js'
import { normalizeDomain } from '../auth0.js'
import { ConfigError } from '../errors.js'
import { serverMetadata } from '../provider/discovery.js'

/**
 * Parameters of {@link buildLogoutUrl}.
 *
 * @example
 * ```ts
 * const params: BuildLogoutUrlParams = { domain: 'my-tenant.eu.auth0.com', clientId: 'abc', returnTo: 'https://app.example.com/', federated: true }
 * ```
 */
export interface BuildLogoutUrlParams extends LogoutParams {
  /** Auth0 tenant or custom domain. Or give `endSessionEndpoint`. */
  domain?: string
  /** Any provider's `end_session_endpoint` (implies the OIDC form). */
  endSessionEndpoint?: string
  /** The application's client ID. */
  clientId: string
}

/**
 * Parameters of {@link buildLogoutUrl} when it is given a {@link ClientConfig}: the provider and
 * client come from the config.
 *
 * @example
 * ```ts
 * const params: LogoutParams = { returnTo: 'https://app.example.com/', idTokenHint: tokens.idToken }
 * const url = await buildLogoutUrl(config, params)
 * ```
 */
export interface LogoutParams {
  /** Where to send the user afterwards; must be an allowed logout URL of the app. */
  returnTo?: string | undefined
  /** Also log the user out of the upstream identity provider (Auth0). */
  federated?: boolean | undefined
  /** The ID token of the session (OIDC logout). */
  idTokenHint?: string | undefined
  /**
   * Auth0's `/v2/logout` or the OIDC `/oidc/logout`. Default: `oidc` when `idTokenHint` or
   * `endSessionEndpoint` is given (and always for an `issuer` config), else `v2`.
   */
  endpoint?: 'v2' | 'oidc' | undefined
  /** Aborts an `issuer` config's discovery. */
  signal?: AbortSignal | undefined
}

/**
 * Builds the logout URL: Auth0's `/v2/logout` (`client_id`, `returnTo`, `federated`) or the
 * OpenID Connect end-session endpoint (`client_id`, `post_logout_redirect_uri`,
 * `id_token_hint`).
 *
 * Two forms:
 * - `buildLogoutUrl({ domain | endSessionEndpoint, clientId, … })` builds it at once (pure).
 * - `await buildLogoutUrl(config, { returnTo, idTokenHint })` (a second argument, `{}` at
 *   least) takes the provider from a
 *   {@link ClientConfig}: an Auth0 `domain` as above, an `issuer` through the
 *   `end_session_endpoint` of its discovery document (for AWS Cognito's hosted UI, `returnTo`
 *   also goes as `logout_uri`, the parameter Cognito reads).
 *
 * @throws {ConfigError} for a missing `clientId`, no `domain`/`endSessionEndpoint`, a bad
 *   `returnTo`, or a provider that advertises no `end_session_endpoint`.
 * @throws {NetworkError|ResponseError|TimeoutError|AbortError} when an `issuer`'s discovery fails.
 * @example
 * ```ts
 * import { buildLogoutUrl } from 'authcode'
 * buildLogoutUrl({ domain: 'my-tenant.eu.auth0.com', clientId: 'abc', returnTo: 'https://app.example.com/' })
 * // https://my-tenant.eu.auth0.com/v2/logout?client_id=abc&returnTo=https%3A%2F%2Fapp.example.com%2F
 *
 * const url = await buildLogoutUrl({ issuer: 'https://dev-123456.okta.com', clientId: 'abc' }, {
 *   returnTo: 'https://app.example.com/',
 *   idTokenHint: tokens.idToken,
 * })
 * // https://dev-123456.okta.com/oauth2/v1/logout?client_id=abc&id_token_hint=…&post_logout_redirect_uri=…
 * ```
 */
export function buildLogoutUrl(p: BuildLogoutUrlParams): URL
export function buildLogoutUrl(config: ClientConfig, p: LogoutParams): Promise<URL>
export function buildLogoutUrl(first: BuildLogoutUrlParams | ClientConfig, second?: LogoutParams): URL | Promise<URL> {
  if (second !== undefined) return logoutUrlFor(first as ClientConfig, second)
  if (typeof first === 'object' && first !== null && (first as ClientConfig).issuer !== undefined) {
    throw new ConfigError('issuer', 'an issuer config needs its parameters as a second argument: await buildLogoutUrl(config, { returnTo })')
  }
  return logoutUrl(first as BuildLogoutUrlParams)
}

async function logoutUrlFor(config: ClientConfig, p: LogoutParams): Promise<URL> {
  const resolved = resolveConfig(config)
  if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
  const options: BuildLogoutUrlParams = { clientId: resolved.clientId }
  for (const key of ['returnTo', 'federated', 'idTokenHint', 'endpoint'] as const) {
    if (p[key] !== undefined) (options as unknown as Record<string, unknown>)[key] = p[key]
  }
  if (config.domain !== undefined) return logoutUrl({ ...options, domain: config.domain })
  const server = await serverMetadata(resolved, p.signal)
  if (typeof server.end_session_endpoint !== 'string') {
    throw new ConfigError('issuer', 'the provider advertises no end_session_endpoint (OpenID Connect RP-initiated logout): end the session in your app alone, or see the provider\'s documentation for its logout URL')
  }
  const url = logoutUrl({ ...options, endSessionEndpoint: server.end_session_endpoint })
  // AWS Cognito's /logout sends the user back to `logout_uri`, not `post_logout_redirect_uri`.
  if (p.returnTo !== undefined && url.hostname.endsWith('.amazoncognito.com')) url.searchParams.set('logout_uri', p.returnTo)
  if (!resolved.allowInsecureRequests && url.protocol !== 'https:') {
    throw new ConfigError('allowInsecureRequests', 'the end_session_endpoint is not https; set allowInsecureRequests for local development only')
  }
  return url
}

function logoutUrl(p: BuildLogoutUrlParams): URL {
  if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
  const clientId = requireUrlText(p.clientId, 'clientId')
  const returnTo = p.returnTo === undefined ? undefined : checkRedirectUri(p.returnTo, 'returnTo')
  const idTokenHint = p.idTokenHint === undefined ? undefined : requireUrlText(p.idTokenHint, 'idTokenHint')
  const endpoint = p.endpoint ?? (idTokenHint !== undefined || p.endSessionEndpoint !== undefined ? 'oidc' : 'v2')
  if (endpoint !== 'v2' && endpoint !== 'oidc') throw new ConfigError('endpoint', 'must be "v2" or "oidc"')
  let url: URL
  if (p.endSessionEndpoint !== undefined) {
    if (endpoint === 'v2') throw new ConfigError('endpoint', '"v2" needs an Auth0 "domain", not an endSessionEndpoint')
    url = httpUrl(p.endSessionEndpoint, 'endSessionEndpoint')
  } else if (p.domain !== undefined) {
    url = new URL(`https://${normalizeDomain(p.domain)}/${endpoint === 'v2' ? 'v2/logout' : 'oidc/logout'}`)
  } else {
    throw new ConfigError('domain', 'give "domain" (an Auth0 tenant) or "endSessionEndpoint"')
  }
  const q = url.searchParams
  q.set('client_id', clientId)
  if (endpoint === 'v2') {
    if (returnTo !== undefined) q.set('returnTo', returnTo)
  } else {
    if (idTokenHint !== undefined) q.set('id_token_hint', idTokenHint)
    if (returnTo !== undefined) q.set('post_logout_redirect_uri', returnTo)
  }
  if (p.federated === true) q.set('federated', '')
  return url
}
